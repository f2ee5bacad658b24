// Training runs and their logged metrics (TRL's names: loss, rewards/margins, ...), one row per value.
import type Database from 'better-sqlite3';

export type MetricSplit = 'train' | 'eval';

export interface MetricPoint {
  step: number;
  name: string;
  /** null when the logged value was not finite (NaN from a diverged loss). */
  value: number | null;
}

export interface NewRun {
  baseModelId: number;
  datasetId?: number | null;
  kind?: string;
  configJson?: string;
  /** The settings as asked for (0003_training). */
  settingsJson?: string | null;
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface RunRecord {
  id: number;
  kind: string;
  datasetId: number | null;
  baseModelId: number;
  outputModelId: number | null;
  configJson: string;
  settingsJson: string | null;
  status: RunStatus;
  device: string | null;
  deviceNote: string | null;
  error: string | null;
  checkpointDir: string | null;
  step: number;
  totalSteps: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const RUN_COLUMNS = `id, kind, dataset_id AS datasetId, base_model_id AS baseModelId,
  output_model_id AS outputModelId, config_json AS configJson, settings_json AS settingsJson, status, device,
  device_note AS deviceNote, error, checkpoint_dir AS checkpointDir, step, total_steps AS totalSteps,
  created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt`;

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// Served by the primary key (run_id, split, name, step): a range search already in (name, step) order.
export const METRICS_OF_SQL =
  'SELECT step, name, value FROM run_metrics WHERE run_id = ? AND split = ? ORDER BY name, step';

export class RunsRepo {
  readonly #db: Database.Database;
  readonly #create: Database.Statement<[string, number | null, number, string, string | null]>;
  readonly #metricsOf: Database.Statement<[number, MetricSplit], MetricPoint>;
  readonly #upsertMetric: Database.Statement<[number, number, MetricSplit, string, number | null]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#create = db.prepare(
      'INSERT INTO runs (kind, dataset_id, base_model_id, config_json, settings_json) VALUES (?, ?, ?, ?, ?)',
    );
    this.#metricsOf = db.prepare(METRICS_OF_SQL);
    // A run resumed from a checkpoint logs some steps again; the latest value wins.
    this.#upsertMetric = db.prepare(
      `INSERT INTO run_metrics (run_id, step, split, name, value) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, split, name, step) DO UPDATE SET value = excluded.value`,
    );
  }

  /** Creates a queued run and returns its id. */
  create(run: NewRun): number {
    const params = [
      run.kind ?? 'dpo',
      run.datasetId ?? null,
      run.baseModelId,
      run.configJson ?? '{}',
      run.settingsJson ?? null,
    ] as const;
    return Number(this.#create.run(...params).lastInsertRowid);
  }

  get(runId: number): RunRecord | undefined {
    return this.#db.prepare<[number], RunRecord>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(runId);
  }

  /** Newest first. */
  list(limit = 200): RunRecord[] {
    return this.#db
      .prepare<[number], RunRecord>(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?`)
      .all(limit);
  }

  /** The run is (again) running: where, how far it goes, and the settings in force. */
  markRunning(
    runId: number,
    at: {
      device: string;
      deviceNote: string | null;
      totalSteps: number;
      checkpointDir: string;
      configJson: string;
    },
  ): void {
    this.#db
      .prepare(
        `UPDATE runs SET status = 'running', device = ?, device_note = ?, total_steps = ?, checkpoint_dir = ?,
           config_json = ?, error = NULL, finished_at = NULL, started_at = coalesce(started_at, ${NOW})
         WHERE id = ?`,
      )
      .run(at.device, at.deviceNote, at.totalSteps, at.checkpointDir, at.configJson, runId);
  }

  /** The run's warnings so far, kept in its config (shown with the run). */
  setWarnings(runId: number, warnings: readonly string[]): void {
    this.#db
      .prepare("UPDATE runs SET config_json = json_set(config_json, '$.warnings', json(?)) WHERE id = ?")
      .run(JSON.stringify(warnings), runId);
  }

  setStatus(runId: number, status: RunStatus): void {
    this.#db.prepare('UPDATE runs SET status = ? WHERE id = ?').run(status, runId);
  }

  setStep(runId: number, step: number): void {
    this.#db.prepare('UPDATE runs SET step = ? WHERE id = ?').run(step, runId);
  }

  setDeviceNote(runId: number, note: string | null): void {
    this.#db.prepare('UPDATE runs SET device_note = ? WHERE id = ?').run(note, runId);
  }

  /** A final status with its error or output model. */
  finish(
    runId: number,
    status: Exclude<RunStatus, 'queued' | 'running'>,
    extra: { error?: string | null; outputModelId?: number | null } = {},
  ): void {
    this.#db
      .prepare(
        `UPDATE runs SET status = ?, error = ?, output_model_id = coalesce(?, output_model_id), finished_at = ${NOW}
         WHERE id = ?`,
      )
      .run(status, extra.error ?? null, extra.outputModelId ?? null, runId);
  }

  /** Runs a crash left queued or running become 'interrupted' (resumable); returns their ids. */
  markInterrupted(): number[] {
    return this.#db
      .prepare<[], number>(
        `UPDATE runs SET status = 'interrupted', finished_at = ${NOW}
         WHERE status IN ('queued', 'running') RETURNING id`,
      )
      .pluck()
      .all();
  }

  /** Drops values logged after `step` (a killed run logged past the checkpoint its resume starts from). */
  deleteMetricsAfter(runId: number, step: number): void {
    this.#db.prepare('DELETE FROM run_metrics WHERE run_id = ? AND step > ?').run(runId, step);
  }

  /** The newest job of a run (jobs.run_id), if any. */
  latestJobId(runId: number): number | null {
    return (
      this.#db
        .prepare<[number], number>('SELECT id FROM jobs WHERE run_id = ? ORDER BY id DESC LIMIT 1')
        .pluck()
        .get(runId) ?? null
    );
  }

  /** Every metric of a run's split, grouped by name, each series in step order. */
  metricsOf(runId: number, split: MetricSplit): MetricPoint[] {
    return this.#metricsOf.all(runId, split);
  }

  /** Stores one logged step's values in one transaction. */
  insertMetrics(runId: number, step: number, split: MetricSplit, values: Record<string, number>): void {
    this.#db.transaction(() => {
      for (const [name, value] of Object.entries(values)) {
        this.#upsertMetric.run(runId, step, split, name, Number.isNaN(value) ? null : value);
      }
    })();
  }
}
