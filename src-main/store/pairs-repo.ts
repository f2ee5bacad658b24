// Pairs of candidate responses to one prompt, and the import of TRL preference rows into prompts,
// candidates and pairs (each stored once by content hash).
import type Database from 'better-sqlite3';
import { sha256Hex } from './content-hash';

export interface PreferenceRow {
  prompt: string;
  chosen: string;
  rejected: string;
}

export interface ImportCounts {
  pairsAdded: number;
  duplicatesSkipped: number;
}

export interface CandidateText {
  id: number;
  text: string;
}

export interface StoredPair {
  id: number;
  promptId: number;
  prompt: string;
  candidateA: CandidateText;
  candidateB: CandidateText;
}

interface PairRow {
  id: number;
  promptId: number;
  prompt: string;
  aId: number;
  aText: string;
  bId: number;
  bText: string;
}

const PAIR_SQL = `SELECT p.id, p.prompt_id AS promptId, pr.text AS prompt,
    a.id AS aId, a.text AS aText, b.id AS bId, b.text AS bText
  FROM pairs p
  JOIN prompts pr ON pr.id = p.prompt_id
  JOIN candidates a ON a.id = p.candidate_a_id
  JOIN candidates b ON b.id = p.candidate_b_id
  WHERE p.id = ?`;

export class PairsRepo {
  readonly #db: Database.Database;
  readonly #insertPrompt: Database.Statement<[string, string]>;
  readonly #promptId: Database.Statement<[string], number>;
  readonly #insertCandidate: Database.Statement<[number, string, string]>;
  readonly #candidateId: Database.Statement<[number, string], number>;
  readonly #insertPair: Database.Statement<[number, number, number]>;
  readonly #pair: Database.Statement<[number], PairRow>;
  readonly #count: Database.Statement<[], number>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insertPrompt = db.prepare(
      "INSERT INTO prompts (text, source, content_hash) VALUES (?, 'import', ?) ON CONFLICT (content_hash) DO NOTHING",
    );
    this.#promptId = db.prepare<[string], number>('SELECT id FROM prompts WHERE content_hash = ?').pluck();
    this.#insertCandidate = db.prepare(
      `INSERT INTO candidates (prompt_id, text, source, content_hash) VALUES (?, ?, 'imported', ?)
       ON CONFLICT (prompt_id, content_hash) DO NOTHING`,
    );
    this.#candidateId = db
      .prepare<[number, string], number>('SELECT id FROM candidates WHERE prompt_id = ? AND content_hash = ?')
      .pluck();
    this.#insertPair = db.prepare(
      `INSERT INTO pairs (prompt_id, candidate_a_id, candidate_b_id, origin, imported_preference)
       VALUES (?, ?, ?, 'import', 'a') ON CONFLICT DO NOTHING`,
    );
    this.#pair = db.prepare(PAIR_SQL);
    this.#count = db.prepare<[], number>('SELECT COUNT(*) FROM pairs').pluck();
  }

  /**
   * Stores TRL preference rows in one transaction: the chosen response becomes candidate a
   * (imported_preference 'a'). A pair already stored, or a row whose chosen and rejected texts are equal,
   * counts as a duplicate and is skipped.
   */
  importPreferencePairs(rows: readonly PreferenceRow[]): ImportCounts {
    return this.#db.transaction(() => {
      const counts: ImportCounts = { pairsAdded: 0, duplicatesSkipped: 0 };
      for (const row of rows) {
        if (this.#importRow(row)) counts.pairsAdded += 1;
        else counts.duplicatesSkipped += 1;
      }
      return counts;
    })();
  }

  getPair(pairId: number): StoredPair | undefined {
    const row = this.#pair.get(pairId);
    if (row === undefined) return undefined;
    return {
      id: row.id,
      promptId: row.promptId,
      prompt: row.prompt,
      candidateA: { id: row.aId, text: row.aText },
      candidateB: { id: row.bId, text: row.bText },
    };
  }

  countAll(): number {
    return this.#count.get() ?? 0;
  }

  /** Returns whether a new pair was stored. */
  #importRow(row: PreferenceRow): boolean {
    if (row.chosen === row.rejected) return false;
    const promptId = this.#upsertPrompt(row.prompt);
    const chosenId = this.#upsertCandidate(promptId, row.chosen);
    const rejectedId = this.#upsertCandidate(promptId, row.rejected);
    return this.#insertPair.run(promptId, chosenId, rejectedId).changes === 1;
  }

  #upsertPrompt(text: string): number {
    const hash = sha256Hex(text);
    this.#insertPrompt.run(text, hash);
    return mustExist(this.#promptId.get(hash), 'prompt');
  }

  #upsertCandidate(promptId: number, text: string): number {
    const hash = sha256Hex(text);
    this.#insertCandidate.run(promptId, text, hash);
    return mustExist(this.#candidateId.get(promptId, hash), 'candidate');
  }
}

function mustExist(id: number | undefined, what: string): number {
  if (id === undefined) throw new Error(`the ${what} just upserted could not be read back`);
  return id;
}
