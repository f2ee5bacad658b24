// The Datasets view's state: the list with stats, the selected dataset, and the calls that change it
// (create, rebuild, delete, import, export); each failure keeps the server's message verbatim.
import type { Dataset, DatasetSplitPlan } from '../../../src-shared/labeling-schemas';
import type { WorkbenchClient } from './api/workbench-client';
import { CallState } from './call-state.svelte';
import { errorMessage } from './error-message';

export type CreateDatasetInput = Parameters<WorkbenchClient['createDataset']>[0];
export type SplitPlanInput = Parameters<WorkbenchClient['planDatasetSplit']>[0];

export class DatasetStore extends CallState {
  readonly #api: WorkbenchClient;
  #datasets = $state.raw<readonly Dataset[]>([]);
  #loaded = $state(false);
  #selectedId = $state<number | null>(null);

  constructor(api: WorkbenchClient) {
    super();
    this.#api = api;
  }

  get datasets(): readonly Dataset[] {
    return this.#datasets;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get selected(): Dataset | undefined {
    return this.#datasets.find((dataset) => dataset.id === this.#selectedId);
  }

  select(datasetId: number | null): void {
    this.#selectedId = datasetId;
    this.clear();
  }

  async load(): Promise<void> {
    try {
      this.#datasets = await this.#api.listDatasets({});
      this.#loaded = true;
    } catch (error) {
      this.fail(`Could not load datasets: ${errorMessage(error)}`);
    }
  }

  /** Creates a dataset and selects it; true when the server accepted it. */
  async create(input: CreateDatasetInput): Promise<boolean> {
    const created = await this.run(() => this.#api.createDataset(input));
    if (!created) return false;
    await this.load();
    this.#selectedId = created.id;
    this.say(`Created “${created.name}” with ${created.stats.pairs} pairs.`);
    return true;
  }

  /** The split a dataset with these settings would get (null when it cannot be worked out now). */
  async planSplit(input: SplitPlanInput): Promise<DatasetSplitPlan | null> {
    try {
      return await this.#api.planDatasetSplit(input);
    } catch {
      return null;
    }
  }

  async rebuild(datasetId: number): Promise<void> {
    const rebuilt = await this.run(() => this.#api.rebuildDataset({ datasetId }));
    if (!rebuilt) return;
    await this.load();
    this.say(`Rebuilt “${rebuilt.name}”: ${rebuilt.stats.pairs} pairs.`);
  }

  async remove(datasetId: number): Promise<void> {
    const deleted = await this.run(() => this.#api.deleteDataset({ datasetId }));
    if (!deleted) return;
    this.#selectedId = null;
    await this.load();
    this.say('Dataset deleted.');
  }
}
