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
}

// Served by the primary key (run_id, split, name, step): a range search already in (name, step) order.
export const METRICS_OF_SQL =
  'SELECT step, name, value FROM run_metrics WHERE run_id = ? AND split = ? ORDER BY name, step';

export class RunsRepo {
  readonly #db: Database.Database;
  readonly #create: Database.Statement<[string, number | null, number, string]>;
  readonly #metricsOf: Database.Statement<[number, MetricSplit], MetricPoint>;
  readonly #upsertMetric: Database.Statement<[number, number, MetricSplit, string, number | null]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#create = db.prepare(
      'INSERT INTO runs (kind, dataset_id, base_model_id, config_json) VALUES (?, ?, ?, ?)',
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
    ] as const;
    return Number(this.#create.run(...params).lastInsertRowid);
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
