// Jobs (table `jobs`): one row per long piece of work with its status, progress, result or error.
import type Database from 'better-sqlite3';
import type { Job, JobStatus } from '../../src-shared/api-jobs';

interface StoredJob extends Omit<Job, 'payload' | 'result'> {
  payloadJson: string;
  resultJson: string | null;
}

const COLUMNS = `id, kind, status, progress, total, message, payload_json AS payloadJson,
  result_json AS resultJson, error, run_id AS runId, created_at AS createdAt, updated_at AS updatedAt`;
const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

export type FinishedStatus = Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;

export class JobsRepo {
  readonly #insert: Database.Statement<[string, string, number | null], StoredJob>;
  readonly #byId: Database.Statement<[number], StoredJob>;
  readonly #recent: Database.Statement<[number], StoredJob>;
  readonly #recentOfKind: Database.Statement<[string, number], StoredJob>;
  readonly #progress: Database.Statement<[number, number | null, string | null, number]>;
  readonly #finish: Database.Statement<[string, string | null, string | null, number]>;
  readonly #interrupt: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      `INSERT INTO jobs (kind, status, payload_json, run_id) VALUES (?, 'running', ?, ?) RETURNING ${COLUMNS}`,
    );
    this.#byId = db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`);
    this.#recent = db.prepare(`SELECT ${COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?`);
    this.#recentOfKind = db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT ?`);
    this.#progress = db.prepare(
      `UPDATE jobs SET progress = ?, total = ?, message = ?, updated_at = ${NOW} WHERE id = ?`,
    );
    this.#finish = db.prepare(
      `UPDATE jobs SET status = ?, result_json = ?, error = ?, updated_at = ${NOW} WHERE id = ?`,
    );
    this.#interrupt = db.prepare(
      `UPDATE jobs SET status = 'interrupted', error = ?, updated_at = ${NOW}
        WHERE status IN ('queued', 'running')`,
    );
  }

  /** A new job, already running. */
  create(kind: string, payload: unknown, runId: number | null): Job {
    const row = this.#insert.get(kind, JSON.stringify(payload ?? {}), runId);
    if (!row) throw new Error(`inserting a ${kind} job returned no row`);
    return toJob(row);
  }

  get(id: number): Job | null {
    const row = this.#byId.get(id);
    return row ? toJob(row) : null;
  }

  /** Newest first. */
  list(opts: { kind?: string; limit?: number } = {}): Job[] {
    const limit = opts.limit ?? 50;
    const rows = opts.kind === undefined ? this.#recent.all(limit) : this.#recentOfKind.all(opts.kind, limit);
    return rows.map(toJob);
  }

  setProgress(id: number, progress: number, total: number | null, message: string | null): void {
    this.#progress.run(progress, total, message, id);
  }

  finish(id: number, status: FinishedStatus, result: unknown, error: string | null): void {
    this.#finish.run(status, result === undefined ? null : JSON.stringify(result), error, id);
  }

  /** Jobs a previous process left queued or running are marked interrupted; returns how many. */
  markInterrupted(reason: string): number {
    return this.#interrupt.run(reason).changes;
  }
}

function toJob({ payloadJson, resultJson, ...rest }: StoredJob): Job {
  return {
    ...rest,
    payload: JSON.parse(payloadJson) as unknown,
    result: resultJson === null ? null : (JSON.parse(resultJson) as unknown),
  };
}
