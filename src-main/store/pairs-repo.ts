// Pairs of candidate responses to one prompt, and the import of preference rows and prompts into
// prompts, candidates and pairs (each stored once by content hash).
import type Database from 'better-sqlite3';
import type { ChatMessage } from '../../src-shared/schemas';
import { CandidatesRepo, mustExist } from './candidates-repo';

export interface PreferenceRow {
  prompt: string;
  /** The prompt's chat turns when it is conversational (prompts.messages_json). */
  promptMessages?: readonly ChatMessage[] | null;
  chosen: string;
  rejected: string;
}

export interface PromptRow {
  text: string;
  messages: readonly ChatMessage[] | null;
}

/** A stored row of an import: its pair, and which candidate the file preferred. */
export interface ImportedPair {
  pairId: number;
  chosenCandidateId: number;
  rejectedCandidateId: number;
}

export interface ImportCounts {
  pairsAdded: number;
  duplicatesSkipped: number;
  /** Every row that names a real pair (new or already stored), in file order. */
  pairs: ImportedPair[];
}

export type PairOrigin = 'import' | 'all_pairs' | 'best_worst' | 'random' | 'uncertainty' | 'rank';

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

// Served by the expression index pairs_unordered.
export const PAIR_OF_SQL = `SELECT id FROM pairs
  WHERE min(candidate_a_id, candidate_b_id) = ? AND max(candidate_a_id, candidate_b_id) = ?`;

export class PairsRepo {
  readonly #db: Database.Database;
  readonly #rows: CandidatesRepo;
  readonly #insertPair: Database.Statement<[number, number, number]>;
  readonly #pair: Database.Statement<[number], PairRow>;
  readonly #count: Database.Statement<[], number>;
  readonly #pairOf: Database.Statement<[number, number], number>;
  readonly #insertOriginPair: Database.Statement<[number, number, number, PairOrigin]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#rows = new CandidatesRepo(db);
    this.#insertPair = db.prepare(
      `INSERT INTO pairs (prompt_id, candidate_a_id, candidate_b_id, origin, imported_preference)
       VALUES (?, ?, ?, 'import', 'a') ON CONFLICT DO NOTHING`,
    );
    this.#pair = db.prepare(PAIR_SQL);
    this.#count = db.prepare<[], number>('SELECT COUNT(*) FROM pairs').pluck();
    this.#pairOf = db.prepare<[number, number], number>(PAIR_OF_SQL).pluck();
    this.#insertOriginPair = db.prepare(
      `INSERT INTO pairs (prompt_id, candidate_a_id, candidate_b_id, origin) VALUES (?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
  }

  /**
   * Stores TRL preference rows in one transaction: the chosen response becomes candidate a
   * (imported_preference 'a'). A pair already stored, or a row whose chosen and rejected texts are equal,
   * counts as a duplicate and is skipped.
   */
  importPreferencePairs(rows: readonly PreferenceRow[]): ImportCounts {
    return this.#db.transaction(() => {
      const counts: ImportCounts = { pairsAdded: 0, duplicatesSkipped: 0, pairs: [] };
      for (const row of rows) {
        const stored = this.#importRow(row);
        if (stored?.added) counts.pairsAdded += 1;
        else counts.duplicatesSkipped += 1;
        if (stored) counts.pairs.push(stored.pair);
      }
      return counts;
    })();
  }

  /** Stores prompts without candidates in one transaction; a prompt already stored counts as a duplicate. */
  /** Stores each prompt once; promptIds are the rows' stored ids, in file order. */
  importPrompts(rows: readonly PromptRow[]): {
    promptsAdded: number;
    duplicatesSkipped: number;
    promptIds: number[];
  } {
    return this.#db.transaction(() => {
      const before = this.#db.prepare<[], number>('SELECT COUNT(*) FROM prompts').pluck().get() ?? 0;
      const promptIds = rows.map((row) => this.#rows.upsertPrompt(row.text, row.messages, 'import'));
      const after = this.#db.prepare<[], number>('SELECT COUNT(*) FROM prompts').pluck().get() ?? 0;
      return { promptsAdded: after - before, duplicatesSkipped: rows.length - (after - before), promptIds };
    })();
  }

  /** A prompt's text and its candidates in id order; undefined when the prompt does not exist. */
  promptWithCandidates(promptId: number) {
    const prompt = this.#db
      .prepare<[number], string>('SELECT text FROM prompts WHERE id = ?')
      .pluck()
      .get(promptId);
    if (prompt === undefined) return undefined;
    const candidates = this.#db
      .prepare<[number], { id: number; text: string; logp: number | null; tokenCount: number | null }>(
        'SELECT id, text, logp, token_count AS tokenCount FROM candidates WHERE prompt_id = ? ORDER BY id',
      )
      .all(promptId);
    return { prompt, candidates };
  }

  /** The pair of two candidates in either order, if stored. */
  pairOf(candidateX: number, candidateY: number): number | undefined {
    return this.#pairOf.get(Math.min(candidateX, candidateY), Math.max(candidateX, candidateY));
  }

  /** Stores a pair of two candidates of one prompt; returns its id, and whether it is new. */
  addPair(promptId: number, candidateA: number, candidateB: number, origin: PairOrigin) {
    const added = this.#insertOriginPair.run(promptId, candidateA, candidateB, origin).changes === 1;
    return { pairId: mustExist(this.pairOf(candidateA, candidateB), 'pair'), added };
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

  /** The stored pair and whether it is new; undefined when chosen and rejected are the same text. */
  #importRow(row: PreferenceRow): { pair: ImportedPair; added: boolean } | undefined {
    if (row.chosen === row.rejected) return undefined;
    const promptId = this.#rows.upsertPrompt(row.prompt, row.promptMessages ?? null, 'import');
    const chosenId = this.#rows.upsertImported(promptId, row.chosen);
    const rejectedId = this.#rows.upsertImported(promptId, row.rejected);
    const inserted = this.#insertPair.run(promptId, chosenId, rejectedId);
    const added = inserted.changes === 1;
    const pairId = added
      ? Number(inserted.lastInsertRowid)
      : mustExist(this.pairOf(chosenId, rejectedId), 'pair');
    return { pair: { pairId, chosenCandidateId: chosenId, rejectedCandidateId: rejectedId }, added };
  }
}
