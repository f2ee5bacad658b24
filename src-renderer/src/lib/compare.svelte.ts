// The Compare view's state: the comparison history, the model versions to pick from, the open comparison
// (item by item while blind), its generation progress, votes, the reveal, and a run's reward margins.
import type { ModelVersion } from '../../../src-shared/api-models';
import type { Job } from '../../../src-shared/api-jobs';
import type { Run } from '../../../src-shared/train-schemas';
import type {
  CompareSummary,
  CompareVote,
  Comparison,
  RewardMargins,
} from '../../../src-shared/compare-schemas';
import type { WorkbenchClient, WorkbenchEvent } from './api/workbench-client';
import { CallState } from './call-state.svelte';
import { errorMessage } from './error-message';

const JOB_DONE: ReadonlySet<Job['status']> = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

export type CreateComparisonInput = Parameters<WorkbenchClient['createComparison']>[0];

/** The first item without a vote at or after `from` (wrapping), or `from` when every item has one. */
export function nextUnvoted(items: Comparison['itemList'], from: number): number {
  for (let step = 0; step < items.length; step++) {
    const position = (from + step) % items.length;
    if (items[position]?.vote === null) return position;
  }
  return Math.min(from, Math.max(0, items.length - 1));
}

export class CompareStore {
  readonly #api: WorkbenchClient;
  #history = $state.raw<readonly CompareSummary[]>([]);
  #models = $state.raw<readonly ModelVersion[]>([]);
  #runs = $state.raw<readonly Run[]>([]);
  #loaded = $state(false);
  #current = $state.raw<Comparison | null>(null);
  #position = $state(0);
  #job = $state.raw<Job | null>(null);
  readonly #call = new CallState();
  #margins = $state.raw<RewardMargins | null>(null);
  #marginsBusy = $state(false);
  #marginsError = $state<string | null>(null);

  constructor(api: WorkbenchClient) {
    this.#api = api;
  }

  get history(): readonly CompareSummary[] {
    return this.#history;
  }
  get models(): readonly ModelVersion[] {
    return this.#models;
  }
  /** Training runs that produced a tuned version (the ones with reward margins). */
  get trainedRuns(): readonly Run[] {
    return this.#runs.filter((run) => run.outputModelId !== null);
  }
  get loaded(): boolean {
    return this.#loaded;
  }

  /**
   * Why B's held-out prompts cannot be compared on, in words (null when they can): B was not trained
   * here, or the dataset of the run that trained it had no eval split.
   */
  heldOutProblem(modelBId: number | null): string | null {
    if (modelBId === null) return 'Choose model B first.';
    const run = [...this.#runs].reverse().find((r) => r.outputModelId === modelBId);
    if (!run) return 'Model B was not trained here, so it has no held-out prompts: type prompts instead.';
    const facts = run.config.run as { evalPairs?: unknown } | undefined;
    if (facts?.evalPairs === 0) {
      const dataset = run.datasetName === null ? 'its training file' : `dataset “${run.datasetName}”`;
      return `Run ${run.id} trained B on ${dataset}, which has no eval split, so there are no held-out prompts: type prompts instead.`;
    }
    return null;
  }
  get current(): Comparison | null {
    return this.#current;
  }
  get position(): number {
    return this.#position;
  }
  get job(): Job | null {
    return this.#job;
  }
  get busy(): boolean {
    return this.#call.busy;
  }
  get error(): string | null {
    return this.#call.error;
  }
  get margins(): RewardMargins | null {
    return this.#margins;
  }
  get marginsBusy(): boolean {
    return this.#marginsBusy;
  }
  get marginsError(): string | null {
    return this.#marginsError;
  }

  async load(): Promise<void> {
    try {
      const [history, models, runs] = await Promise.all([
        this.#api.listComparisons({}),
        this.#api.listModels({}),
        this.#api.listRuns({}),
      ]);
      this.#history = history;
      this.#models = models;
      this.#runs = runs;
      this.#loaded = true;
    } catch (error) {
      this.#call.fail(`Could not load comparisons: ${errorMessage(error)}`);
    }
  }

  async create(input: CreateComparisonInput): Promise<void> {
    const created = await this.#call.run(() => this.#api.createComparison(input));
    if (created) await this.open(created.id);
  }

  async open(comparisonId: number): Promise<void> {
    const found = await this.#call.run(() => this.#api.getComparison({ comparisonId }));
    if (!found) return;
    this.#current = found;
    this.#job = null;
    this.#position = nextUnvoted(found.itemList, 0);
  }

  /** Back to the history (which may now show what was revealed). */
  async close(): Promise<void> {
    this.#current = null;
    this.#job = null;
    await this.load();
  }

  move(by: 1 | -1): void {
    const count = this.#current?.itemList.length ?? 0;
    if (count === 0) return;
    this.#position = (this.#position + by + count) % count;
  }

  goTo(position: number): void {
    this.#position = position;
  }

  /** Stores the vote on the shown item (or on `position`), then shows the next item without one. */
  async vote(vote: CompareVote, position = this.#position): Promise<void> {
    const current = this.#current;
    if (!current || current.status !== 'voting' || this.#call.busy) return;
    const saved = await this.#call.run(() =>
      this.#api.voteComparison({ comparisonId: current.id, position, vote }),
    );
    if (!saved || this.#current?.id !== current.id) return;
    const itemList = current.itemList.map((item) => (item.position === position ? { ...item, vote } : item));
    this.#current = { ...current, itemList, voted: saved.voted };
    this.#position = nextUnvoted(itemList, position);
  }

  /** Generates what a failed, cancelled or interrupted comparison is missing. */
  async resume(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    const resumed = await this.#call.run(() => this.#api.resumeComparison({ comparisonId: current.id }));
    if (resumed) await this.#refresh(current.id);
  }

  async reveal(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    const revealed = await this.#call.run(() => this.#api.revealComparison({ comparisonId: current.id }));
    if (revealed) this.#current = revealed;
  }

  async loadMargins(runId: number): Promise<void> {
    this.#marginsBusy = true;
    this.#marginsError = null;
    try {
      this.#margins = await this.#api.getRewardMargins({ runId });
    } catch (error) {
      this.#margins = null;
      this.#marginsError = errorMessage(error);
    } finally {
      this.#marginsBusy = false;
    }
  }

  /** Server events: the open comparison's generation progress and its finish. */
  onEvent(event: WorkbenchEvent): void {
    const current = this.#current;
    if (event.event === 'jobsChanged') {
      if (!current || event.payload.id !== current.jobId) return;
      this.#job = event.payload;
      // The job's end is enough to re-read the comparison, should its own event be lost.
      if (JOB_DONE.has(event.payload.status) && current.status === 'generating')
        void this.#refresh(current.id);
    } else if (event.event === 'comparisonsChanged') {
      if (current && event.payload.comparisonId === current.id && event.payload.kind !== 'voted')
        void this.#refresh(current.id);
      else if (!current) void this.load();
    }
  }

  /**
   * Re-reads the open comparison and its job (a poll while it generates): a progress or finish event lost
   * (it came before the view opened, or the event stream reconnected) never strands the view, since both
   * the comparison's status and the job's progress are taken from what the server has stored.
   */
  async refreshCurrent(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    await this.#refresh(current.id);
    const jobId = this.#current?.jobId;
    if (jobId === null || jobId === undefined) return;
    try {
      const jobs = await this.#api.listJobs({ kind: 'compare', limit: 50 });
      const job = jobs.find((j) => j.id === jobId);
      if (job && this.#current?.jobId === jobId) this.#job = job;
    } catch {
      // The comparison itself was re-read; the job's progress line waits for the next poll.
    }
  }

  async #refresh(comparisonId: number): Promise<void> {
    try {
      const found = await this.#api.getComparison({ comparisonId });
      if (this.#current?.id !== comparisonId) return;
      this.#current = found;
      this.#position = nextUnvoted(found.itemList, this.#position);
    } catch (error) {
      this.#call.fail(errorMessage(error));
    }
  }
}
