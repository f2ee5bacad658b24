// One place for long work (generation, training, comparison runs): each job is a row in `jobs` with its
// status, throttled progress and result or error, announced to every window as 'jobsChanged', and
// cancellable through an AbortSignal. Jobs a crashed process left running are marked interrupted at startup.
import type Database from 'better-sqlite3';
import type { ApiEventPayload, ApiHandlers } from '../../../src-shared/api';
import type { Job, jobsContract } from '../../../src-shared/api-jobs';
import type { ApiEvent } from '../../../src-shared/api-methods';
import { ApiError } from '../../../src-shared/errors';
import { JobsRepo, type FinishedStatus } from '../../store/jobs-repo';
import type { EventBus } from './event-bus';

export type JobRow = Job;

export interface JobContext {
  jobId: number;
  signal: AbortSignal;
  /** Stored and announced at most once per throttle interval; the latest value always lands. */
  progress(done: number, total: number | null, message?: string): void;
  /** Forwards a job-specific event (streamed tokens, metrics) to every window. */
  emit<E extends ApiEvent>(event: E, payload: ApiEventPayload<E>): void;
}

export interface JobRunnerOptions {
  /** The shortest time between two stored progress updates of one job. */
  progressIntervalMs?: number;
}

interface Running {
  controller: AbortController;
  /** The final row; null when the workbench closed first. */
  done: Promise<Job | null>;
  flushProgress: () => void;
}

export const CANCELLED_MESSAGE = 'cancelled';
const INTERRUPTED_MESSAGE = 'the workbench closed while this job was running';

export class JobRunner {
  readonly #repo: JobsRepo;
  readonly #events: EventBus;
  readonly #intervalMs: number;
  readonly #running = new Map<number, Running>();
  #closed = false;
  readonly #closeHooks: Array<() => Promise<void>> = [];

  constructor(db: Database.Database, events: EventBus, options: JobRunnerOptions = {}) {
    this.#repo = new JobsRepo(db);
    this.#events = events;
    this.#intervalMs = options.progressIntervalMs ?? 250;
  }

  /** Starts `work` now and returns the job id; the outcome is stored when it settles. */
  start<T>(
    kind: string,
    payload: unknown,
    work: (ctx: JobContext) => Promise<T>,
    opts: { runId?: number } = {},
  ): number {
    if (this.#closed) throw new Error(`cannot start a ${kind} job: the workbench is closing`);
    const job = this.#repo.create(kind, payload, opts.runId ?? null);
    this.#announce(job.id);
    const controller = new AbortController();
    const progress = this.#throttledProgress(job.id);
    const ctx: JobContext = {
      jobId: job.id,
      signal: controller.signal,
      progress: progress.report,
      emit: (event, eventPayload) => this.#events.emit(event, eventPayload),
    };
    const done = Promise.resolve()
      .then(() => {
        controller.signal.throwIfAborted(); // cancelled before it began
        return work(ctx);
      })
      .then(
        // Work that stops early on cancel and returns what it has (generation) is cancelled, result kept.
        (result) =>
          controller.signal.aborted
            ? this.#finish(job.id, 'cancelled', result, CANCELLED_MESSAGE)
            : this.#finish(job.id, 'completed', result, null),
        (error: unknown) =>
          controller.signal.aborted
            ? this.#finish(job.id, 'cancelled', null, CANCELLED_MESSAGE)
            : this.#finish(job.id, 'failed', null, error instanceof Error ? error.message : String(error)),
      )
      .catch((error: unknown) => this.#storeFailure(job.id, kind, error));
    this.#running.set(job.id, { controller, done, flushProgress: progress.flush });
    return job.id;
  }

  /** Asks a running job to stop; false when it is not running (finished, or unknown). */
  cancel(jobId: number): boolean {
    const running = this.#running.get(jobId);
    if (!running || running.controller.signal.aborted) return false;
    running.controller.abort(new Error(CANCELLED_MESSAGE));
    return true;
  }

  get(jobId: number): JobRow | null {
    return this.#repo.get(jobId);
  }

  list(opts: { kind?: string; limit?: number } = {}): JobRow[] {
    return this.#repo.list(opts);
  }

  /** The job's final row once it has settled (at once when it already has). */
  async wait(jobId: number): Promise<JobRow | null> {
    const running = this.#running.get(jobId);
    if (running) return running.done;
    const job = this.#repo.get(jobId);
    if (!job) throw new Error(`jobId: no job with id ${jobId}`);
    return job;
  }

  /** Queued or running rows left by a previous process (a crash, a closed window) -> 'interrupted'. */
  markInterruptedAtStartup(): number {
    return this.#repo.markInterrupted(INTERRUPTED_MESSAGE);
  }

  /**
   * Cancels every running job and stops writing to the database (which is about to close): their rows
   * stay 'running' and the next start marks them interrupted.
   */
  close(): void {
    this.#closed = true;
    for (const running of this.#running.values()) running.controller.abort(new Error(CANCELLED_MESSAGE));
    for (const hook of this.#closeHooks.splice(0)) {
      hook().catch((error: unknown) => console.error('closing a job resource failed:', error));
    }
  }

  /** Runs `hook` when the runner closes (a warm generator's worker, say). */
  onClose(hook: () => Promise<void>): void {
    this.#closeHooks.push(hook);
  }

  get runningCount(): number {
    return this.#running.size;
  }

  #finish(jobId: number, status: FinishedStatus, result: unknown, error: string | null): Job | null {
    const running = this.#running.get(jobId);
    running?.flushProgress();
    this.#running.delete(jobId);
    if (this.#closed) return null;
    this.#repo.finish(jobId, status, result, error);
    return this.#announce(jobId);
  }

  /** Storing the outcome failed (a result that is not JSON): the job fails with that reason; never a crash. */
  #storeFailure(jobId: number, kind: string, error: unknown): Job | null {
    this.#running.delete(jobId);
    const reason = `its result could not be stored: ${error instanceof Error ? error.message : String(error)}`;
    try {
      if (this.#closed) return null;
      this.#repo.finish(jobId, 'failed', null, reason);
      return this.#announce(jobId);
    } catch (storeError) {
      console.error(`job ${jobId} (${kind}): ${reason}`, storeError);
      return null;
    }
  }

  #announce(jobId: number): Job {
    const job = this.#repo.get(jobId);
    if (!job) throw new Error(`job ${jobId} vanished from the jobs table`);
    this.#events.emit('jobsChanged', job);
    return job;
  }

  /** Progress reports land at most once per interval; a report inside the interval is kept for later. */
  #throttledProgress(jobId: number) {
    let lastStored = 0;
    let pending: { done: number; total: number | null; message: string | null } | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const store = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (!pending || !this.#running.has(jobId) || this.#closed) return;
      const { done, total, message } = pending;
      pending = null;
      lastStored = Date.now();
      this.#repo.setProgress(jobId, done, total, message);
      this.#announce(jobId);
    };
    const report = (done: number, total: number | null, message?: string) => {
      pending = { done: Math.max(0, done), total, message: message ?? null };
      const wait = lastStored + this.#intervalMs - Date.now();
      if (wait <= 0) store();
      else timer ??= setTimeout(store, wait);
    };
    return { report, flush: store };
  }
}

/** The jobs methods of the API contract. */
export function createJobsHandlers(runner: JobRunner): Pick<ApiHandlers, keyof typeof jobsContract> {
  return {
    listJobs: ({ kind, limit }) => runner.list({ ...(kind === undefined ? {} : { kind }), limit }),
    cancelJob: ({ jobId }) => {
      if (!runner.get(jobId)) throw new ApiError('not_found', `jobId: no job with id ${jobId}`);
      return { cancelled: runner.cancel(jobId) };
    },
  };
}
