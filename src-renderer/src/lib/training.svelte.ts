// The Train view's state: the dataset and base model picked, the one-click defaults and the settings form,
// the runs with their status, and the selected run's metric series updated live from runMetrics events.
// Server messages are kept verbatim.
import type { ModelVersion } from '../../../src-shared/api-models';
import type { Dataset } from '../../../src-shared/labeling-schemas';
import type { Run, TrainDefaults, TrainProgress, TrainSettings } from '../../../src-shared/train-schemas';
import type { WorkbenchClient, WorkbenchEvent } from './api/workbench-client';
import { errorMessage } from './error-message';
import { emptySeries, mergeEvent, seriesFromDetail, type RunSeries } from './train-charts';

export class TrainingSession {
  readonly #api: WorkbenchClient;
  #datasets = $state.raw<readonly Dataset[]>([]);
  #models = $state.raw<readonly ModelVersion[]>([]);
  #loaded = $state(false);
  #datasetId = $state<number | null>(null);
  #modelId = $state<number | null>(null);
  #defaults = $state.raw<TrainDefaults | null>(null);
  #runs = $state.raw<readonly Run[]>([]);
  #selectedRunId = $state<number | null>(null);
  #series = $state.raw<RunSeries>(emptySeries());
  #progress = $state.raw<TrainProgress | null>(null);
  #busy = $state(false);
  #error = $state<string | null>(null);
  /** The advanced panel's values (start from the defaults; sent whole with Train). */
  settings = $state<TrainSettings | null>(null);

  constructor(api: WorkbenchClient) {
    this.#api = api;
  }

  get datasets(): readonly Dataset[] {
    return this.#datasets;
  }
  get models(): readonly ModelVersion[] {
    return this.#models;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get datasetId(): number | null {
    return this.#datasetId;
  }
  get modelId(): number | null {
    return this.#modelId;
  }
  get defaults(): TrainDefaults | null {
    return this.#defaults;
  }
  get runs(): readonly Run[] {
    return this.#runs;
  }
  get selectedRun(): Run | undefined {
    return this.#runs.find((r) => r.id === this.#selectedRunId);
  }
  get series(): RunSeries {
    return this.#series;
  }
  get progress(): TrainProgress | null {
    return this.#progress;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  get training(): boolean {
    return this.#runs.some((r) => r.status === 'running' || r.status === 'queued');
  }

  /**
   * The round a run from the picked model makes: for a tuned version, its lineage (base first) and the
   * round number (a run from round r makes round r + 1); null for a base checkpoint.
   */
  get round(): { round: number; from: ModelVersion; base: ModelVersion } | null {
    const from = this.#models.find((m) => m.id === this.#modelId);
    if (!from || from.kind !== 'trained') return null;
    const chain = [from];
    for (let parent = from.parentId; parent !== null;) {
      const found = this.#models.find((m) => m.id === parent);
      if (!found || chain.includes(found)) break;
      chain.unshift(found);
      parent = found.parentId;
    }
    return { round: chain.length, from, base: chain[0] as ModelVersion };
  }

  /**
   * `fromModelId` (the Train link of a next round, `#/train?from=<id>`): that tuned version is the model
   * to train from, with the newest dataset that it was not itself trained on (the new round's ratings).
   */
  async load(fromModelId: number | null = null): Promise<void> {
    try {
      const [datasets, models] = await Promise.all([this.#api.listDatasets({}), this.#api.listModels({})]);
      this.#datasets = datasets;
      this.#models = models;
      this.#loaded = true;
      await this.refreshRuns();
      const from = this.#models.find((m) => m.id === fromModelId && m.kind === 'trained');
      if (from) {
        const previous = this.#runs.filter((r) => r.outputModelId === from.id).map((r) => r.datasetId);
        const usable = this.#datasets.filter((d) => d.stats.train > 0);
        const fresh = usable.filter((d) => !previous.includes(d.id));
        this.#modelId = from.id;
        this.#datasetId = (fresh.at(-1) ?? usable.at(-1))?.id ?? null;
      } else if (fromModelId !== null) {
        this.#error = `No tuned version with id ${fromModelId} to train a next round from.`;
      }
      const dataset = this.#datasets.find((d) => d.stats.train > 0);
      const model = this.#models.find((m) => m.kind !== 'trained') ?? this.#models[0];
      this.#datasetId ??= dataset?.id ?? null;
      this.#modelId ??= model?.id ?? null;
      await this.loadDefaults();
      const latest = this.#runs[0];
      if (latest && this.#selectedRunId === null) await this.selectRun(latest.id);
    } catch (error) {
      this.#error = `Could not load datasets and models: ${errorMessage(error)}`;
    }
  }

  async refreshRuns(): Promise<void> {
    this.#runs = await this.#api.listRuns({});
  }

  async pick(datasetId: number | null, modelId: number | null): Promise<void> {
    this.#datasetId = datasetId;
    this.#modelId = modelId;
    await this.loadDefaults();
  }

  /** The one-click settings for the picked dataset and model; the form starts from them. */
  async loadDefaults(): Promise<void> {
    this.#defaults = null;
    this.settings = null;
    if (this.#datasetId === null || this.#modelId === null) return;
    const found = await this.#run(() =>
      this.#api.getTrainDefaults({
        datasetId: this.#datasetId as number,
        baseModelId: this.#modelId as number,
      }),
    );
    if (!found) return;
    this.#defaults = found;
    this.settings = { ...found.settings };
  }

  resetSettings(): void {
    if (this.#defaults) this.settings = { ...this.#defaults.settings };
  }

  async start(): Promise<void> {
    if (this.#datasetId === null || this.#modelId === null || !this.settings) return;
    const settings = $state.snapshot(this.settings);
    const started = await this.#run(() =>
      this.#api.startTraining({
        datasetId: this.#datasetId as number,
        baseModelId: this.#modelId as number,
        settings,
      }),
    );
    if (!started) return;
    this.#series = emptySeries();
    this.#progress = null;
    this.#selectedRunId = started.runId;
    await this.refreshRuns();
  }

  async cancel(runId: number): Promise<void> {
    await this.#run(() => this.#api.cancelRun({ runId }));
  }

  async resume(runId: number): Promise<void> {
    const resumed = await this.#run(() => this.#api.resumeRun({ runId }));
    if (!resumed) return;
    await this.refreshRuns();
    await this.selectRun(runId);
  }

  async selectRun(runId: number): Promise<void> {
    this.#selectedRunId = runId;
    this.#progress = null;
    const detail = await this.#run(() => this.#api.getRun({ runId }));
    if (detail && this.#selectedRunId === runId) this.#series = seriesFromDetail(detail);
  }

  onEvent(event: WorkbenchEvent): void {
    if (event.event === 'runMetrics') {
      if (event.payload.runId !== this.#selectedRunId) return;
      this.#series = mergeEvent(this.#series, event.payload);
      this.#progress = event.payload.progress;
      this.#runs = this.#runs.map((r) =>
        r.id === event.payload.runId
          ? { ...r, step: event.payload.step, totalSteps: event.payload.progress.totalSteps }
          : r,
      );
    } else if (event.event === 'runsChanged') {
      void this.refreshRuns();
    } else if (event.event === 'modelsChanged' || event.event === 'datasetsChanged') {
      void this.#reloadLists();
    }
  }

  async #reloadLists(): Promise<void> {
    const [datasets, models] = await Promise.all([this.#api.listDatasets({}), this.#api.listModels({})]);
    this.#datasets = datasets;
    this.#models = models;
  }

  async #run<T>(work: () => Promise<T>): Promise<T | undefined> {
    this.#busy = true;
    this.#error = null;
    try {
      return await work();
    } catch (error) {
      this.#error = errorMessage(error);
      return undefined;
    } finally {
      this.#busy = false;
    }
  }
}
