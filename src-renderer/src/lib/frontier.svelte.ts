// The frontier panel's state: the chosen version, its latest frontier job (progress while it samples and
// scores, cancel) and the frontier that job kept, re-read from the server so a reload shows it again.
import type { Job } from '../../../src-shared/api-jobs';
import type { ModelVersion } from '../../../src-shared/api-models';
import type { Frontier } from '../../../src-shared/compare-schemas';
import type { WorkbenchClient, WorkbenchEvent } from './api/workbench-client';
import { CallState } from './call-state.svelte';
import { errorMessage } from './error-message';

const JOB_DONE: ReadonlySet<Job['status']> = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

export class FrontierStore {
  readonly #api: WorkbenchClient;
  readonly #call = new CallState();
  #versions = $state.raw<readonly ModelVersion[]>([]);
  #modelId = $state<number | null>(null);
  #job = $state.raw<Job | null>(null);
  #frontier = $state.raw<Frontier | null>(null);

  constructor(api: WorkbenchClient) {
    this.#api = api;
  }

  get versions(): readonly ModelVersion[] {
    return this.#versions;
  }
  get modelId(): number | null {
    return this.#modelId;
  }
  get job(): Job | null {
    return this.#job;
  }
  get frontier(): Frontier | null {
    return this.#frontier;
  }
  get running(): boolean {
    return this.#job !== null && !JOB_DONE.has(this.#job.status);
  }
  get busy(): boolean {
    return this.#call.busy;
  }
  /** The call's error, or the job's when it failed. */
  get error(): string | null {
    return this.#call.error ?? (this.#job?.status === 'failed' ? this.#job.error : null);
  }

  async load(): Promise<void> {
    await this.#call.run(async () => {
      const models = await this.#api.listModels({});
      this.#versions = models.filter((m) => m.kind === 'trained' && m.removedAt === null);
    });
    await this.select(this.#versions.at(-1)?.id ?? null);
  }

  /** Shows what the server kept for this version: its latest frontier job and result. */
  async select(modelId: number | null): Promise<void> {
    this.#modelId = modelId;
    this.#job = null;
    this.#frontier = null;
    if (modelId === null) return;
    await this.#refresh(modelId);
  }

  /** Starts the job that samples and scores the lineage of the chosen version. */
  async start(): Promise<void> {
    const modelId = this.#modelId;
    if (modelId === null || this.running) return;
    await this.#call.run(async () => {
      const { jobId } = await this.#api.startFrontier({ modelId });
      // jobsChanged brings the progress; until then, the job as stored.
      const [job] = (await this.#api.listJobs({ kind: 'frontier', limit: 5 })).filter((j) => j.id === jobId);
      if (this.#modelId === modelId && (!this.#job || this.#job.id <= jobId)) this.#job = job ?? null;
    });
  }

  async cancel(): Promise<void> {
    const job = this.#job;
    if (!job || !this.running) return;
    await this.#call.run(() => this.#api.cancelJob({ jobId: job.id }));
  }

  onEvent(event: WorkbenchEvent): void {
    if (event.event !== 'jobsChanged' || event.payload.kind !== 'frontier') return;
    const payload = event.payload.payload as { modelId?: unknown } | null;
    if (this.#modelId === null || payload?.modelId !== this.#modelId) return;
    if (this.#job && event.payload.id < this.#job.id) return; // an older job's late event
    this.#job = event.payload;
    if (event.payload.status === 'completed') void this.#refresh(this.#modelId);
  }

  /** Not through the call state: a job's end must be read even while another call runs. */
  async #refresh(modelId: number): Promise<void> {
    try {
      const latest = await this.#api.getFrontier({ modelId });
      if (this.#modelId !== modelId) return;
      if (!(latest.job && this.#job && latest.job.id < this.#job.id)) this.#job = latest.job;
      this.#frontier = latest.frontier;
    } catch (error) {
      this.#call.fail(errorMessage(error));
    }
  }
}
