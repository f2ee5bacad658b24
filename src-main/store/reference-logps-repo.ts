// The reference log-prob cache of DPO runs (table reference_logps of 0003_training): one row per scored
// sequence, keyed by the reference's hash (column model_hash: the model, and for a starting-adapter reference
// that adapter too; train/reference-logps.ts referenceHash) and the hash of the tokens scored.
import type Database from 'better-sqlite3';

export interface ReferenceLogpRow {
  logp: number;
  tokens: number;
}

// Served by the primary key (model_hash, tokens_hash): one index search per key.
export const REFERENCE_LOGP_SQL =
  'SELECT logp, token_count AS tokens FROM reference_logps WHERE model_hash = ? AND tokens_hash = ?';

export class ReferenceLogpsRepo {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string, string], ReferenceLogpRow>;
  readonly #put: Database.Statement<[string, string, number, number]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#get = db.prepare(REFERENCE_LOGP_SQL);
    this.#put = db.prepare(
      `INSERT INTO reference_logps (model_hash, tokens_hash, logp, token_count) VALUES (?, ?, ?, ?)
       ON CONFLICT (model_hash, tokens_hash) DO UPDATE SET logp = excluded.logp, token_count = excluded.token_count`,
    );
  }

  /** The cached rows among `keys`. */
  get(modelHash: string, keys: readonly string[]): Map<string, ReferenceLogpRow> {
    const found = new Map<string, ReferenceLogpRow>();
    for (const key of keys) {
      const row = this.#get.get(modelHash, key);
      if (row) found.set(key, row);
    }
    return found;
  }

  /** Stores finite entries in one transaction (a non-finite log-prob is never cached). */
  put(modelHash: string, entries: ReadonlyMap<string, ReferenceLogpRow>): void {
    this.#db.transaction(() => {
      for (const [key, { logp, tokens }] of entries)
        if (Number.isFinite(logp)) this.#put.run(modelHash, key, logp, tokens);
    })();
  }

  count(): number {
    return this.#db.prepare<[], number>('SELECT COUNT(*) FROM reference_logps').pluck().get() ?? 0;
  }
}
