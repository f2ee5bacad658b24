// Prompts and candidate responses, each stored once by content hash: the upserts that imports share, and
// the storage of generated candidates with their token ids, log-prob, finish reason, sampling and seed.
import type Database from 'better-sqlite3';
import type { ChatMessage } from '../../src-shared/schemas';
import { sha256Hex } from './content-hash';

/** One generated candidate as the generation service returns it. */
export interface GeneratedCandidateRow {
  text: string;
  tokenIds: readonly number[];
  logp: number;
  finishReason: string;
  seed: number;
  sampling: Record<string, unknown>;
}

export interface GeneratedPromptRow {
  text: string;
  messages: readonly ChatMessage[] | null;
  candidates: readonly GeneratedCandidateRow[];
}

export interface StoredGeneration {
  /** Per prompt, in order: its stored id and its candidates' ids (a repeated text maps to the stored row). */
  prompts: { promptId: number; candidateIds: number[] }[];
  candidatesAdded: number;
  /** Candidates whose text this prompt already had (stored once; the first one's details are kept). */
  duplicatesSkipped: number;
}

export class CandidatesRepo {
  readonly #db: Database.Database;
  readonly #insertPrompt: Database.Statement<[string, string | null, string, string]>;
  readonly #promptId: Database.Statement<[string], number>;
  readonly #insertImported: Database.Statement<[number, string, string]>;
  readonly #insertGenerated: Database.Statement<
    [number, number | null, string, string, number, number, string, string, number, string]
  >;
  readonly #candidateId: Database.Statement<[number, string], number>;

  constructor(db: Database.Database) {
    this.#db = db;
    // A prompt stored again with its chat turns keeps them, whichever came first.
    this.#insertPrompt = db.prepare(
      `INSERT INTO prompts (text, messages_json, source, content_hash) VALUES (?, ?, ?, ?)
       ON CONFLICT (content_hash) DO UPDATE SET messages_json = coalesce(messages_json, excluded.messages_json)`,
    );
    this.#promptId = db.prepare<[string], number>('SELECT id FROM prompts WHERE content_hash = ?').pluck();
    this.#insertImported = db.prepare(
      `INSERT INTO candidates (prompt_id, text, source, content_hash) VALUES (?, ?, 'imported', ?)
       ON CONFLICT (prompt_id, content_hash) DO NOTHING`,
    );
    this.#insertGenerated = db.prepare(
      `INSERT INTO candidates (prompt_id, model_id, text, token_ids_json, token_count, logp, finish_reason,
         sampling_json, seed, source, content_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'generated', ?)
       ON CONFLICT (prompt_id, content_hash) DO NOTHING`,
    );
    this.#candidateId = db
      .prepare<[number, string], number>('SELECT id FROM candidates WHERE prompt_id = ? AND content_hash = ?')
      .pluck();
  }

  /** The id of the prompt with this text, stored now if new (`source` says where a new one came from). */
  upsertPrompt(text: string, messages: readonly ChatMessage[] | null, source: string): number {
    const hash = sha256Hex(text);
    this.#insertPrompt.run(text, messages ? JSON.stringify(messages) : null, source, hash);
    return mustExist(this.#promptId.get(hash), 'prompt');
  }

  /** The id of this prompt's candidate with this text, stored now as an imported response if new. */
  upsertImported(promptId: number, text: string): number {
    const hash = sha256Hex(text);
    this.#insertImported.run(promptId, text, hash);
    return mustExist(this.#candidateId.get(promptId, hash), 'candidate');
  }

  /**
   * Stores generated candidates under `modelId` (null: a model not registered in the models table), each
   * prompt and each response text once, in one transaction.
   */
  storeGenerated(modelId: number | null, rows: readonly GeneratedPromptRow[]): StoredGeneration {
    return this.#db.transaction(() => {
      const stored: StoredGeneration = { prompts: [], candidatesAdded: 0, duplicatesSkipped: 0 };
      for (const row of rows) {
        const promptId = this.upsertPrompt(row.text, row.messages, 'generate');
        const candidateIds = row.candidates.map((c) => {
          const hash = sha256Hex(c.text);
          const added = this.#insertGenerated.run(
            promptId,
            modelId,
            c.text,
            JSON.stringify(c.tokenIds),
            c.tokenIds.length,
            c.logp,
            c.finishReason,
            JSON.stringify(c.sampling),
            c.seed,
            hash,
          ).changes;
          if (added === 1) stored.candidatesAdded += 1;
          else stored.duplicatesSkipped += 1;
          return mustExist(this.#candidateId.get(promptId, hash), 'candidate');
        });
        stored.prompts.push({ promptId, candidateIds });
      }
      return stored;
    })();
  }
}

export function mustExist(id: number | undefined, what: string): number {
  if (id === undefined) throw new Error(`the ${what} just upserted could not be read back`);
  return id;
}
