// Comparisons of two model versions (compare_sessions), their items and votes (compare_items), and the
// implicit-reward margins of a run's pairs (reward_margins). Each vote is written as it is cast.
import type Database from 'better-sqlite3';
import type { CompareStatus, CompareVote, PromptSourceKind } from '../../src-shared/compare-schemas';

export interface NewCompareSession {
  modelAId: number;
  modelBId: number;
  promptSource: PromptSourceKind;
  runId: number | null;
  seed: number;
  settingsJson: string;
  blind: boolean;
}

export interface NewCompareItem {
  promptId: number | null;
  promptText: string;
  promptMessagesJson: string | null;
  candidateIndex: number;
  aOnLeft: boolean;
}

export interface CompareSessionRow extends NewCompareSession {
  id: number;
  status: CompareStatus;
  jobId: number | null;
  error: string | null;
  resultJson: string | null;
  createdAt: string;
  revealedAt: string | null;
  items: number;
  voted: number;
}

export interface CompareItemRow {
  position: number;
  promptId: number | null;
  promptText: string;
  promptMessagesJson: string | null;
  candidateIndex: number;
  outputA: string | null;
  outputB: string | null;
  aOnLeft: boolean;
  vote: CompareVote | null;
}

export interface StoredMargin {
  pairId: number;
  split: 'train' | 'eval';
  marginBefore: number;
  marginAfter: number;
}

type RawSession = Omit<CompareSessionRow, 'blind'> & { blind: number };
type RawItem = Omit<CompareItemRow, 'aOnLeft'> & { aOnLeft: number };

const SESSION_COLUMNS = `s.id, s.model_a_id AS modelAId, s.model_b_id AS modelBId, s.prompt_source AS promptSource,
  s.run_id AS runId, s.seed, s.settings_json AS settingsJson, s.blind, s.status, s.job_id AS jobId, s.error,
  s.result_json AS resultJson, s.created_at AS createdAt, s.revealed_at AS revealedAt,
  (SELECT COUNT(*) FROM compare_items i WHERE i.session_id = s.id) AS items,
  (SELECT COUNT(*) FROM compare_items i WHERE i.session_id = s.id AND i.vote IS NOT NULL) AS voted`;

const ITEM_COLUMNS = `position, prompt_id AS promptId, prompt_text AS promptText,
  prompt_messages_json AS promptMessagesJson, candidate_index AS candidateIndex, output_a AS outputA,
  output_b AS outputB, a_on_left AS aOnLeft, vote`;

const toSession = (raw: RawSession): CompareSessionRow => ({ ...raw, blind: raw.blind === 1 });
const toItem = (raw: RawItem): CompareItemRow => ({ ...raw, aOnLeft: raw.aOnLeft === 1 });

export class CompareRepo {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Creates a session and all its items (outputs still empty) in one transaction; returns the id. */
  create(session: NewCompareSession, items: readonly NewCompareItem[]): number {
    const insertSession = this.#db.prepare<
      [number, number, string, number | null, number, string, number],
      { id: number }
    >(
      `INSERT INTO compare_sessions (model_a_id, model_b_id, prompt_source, run_id, seed, settings_json, blind)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    );
    const insertItem = this.#db.prepare<
      [number, number, number | null, string, string | null, number, number]
    >(
      `INSERT INTO compare_items
         (session_id, position, prompt_id, prompt_text, prompt_messages_json, candidate_index, a_on_left)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.#db.transaction(() => {
      const row = insertSession.get(
        session.modelAId,
        session.modelBId,
        session.promptSource,
        session.runId,
        session.seed,
        session.settingsJson,
        session.blind ? 1 : 0,
      );
      if (!row) throw new Error('inserting a comparison returned no row');
      items.forEach((item, position) =>
        insertItem.run(
          row.id,
          position,
          item.promptId,
          item.promptText,
          item.promptMessagesJson,
          item.candidateIndex,
          item.aOnLeft ? 1 : 0,
        ),
      );
      return row.id;
    })();
  }

  get(id: number): CompareSessionRow | null {
    const raw = this.#db
      .prepare<[number], RawSession>(`SELECT ${SESSION_COLUMNS} FROM compare_sessions s WHERE s.id = ?`)
      .get(id);
    return raw ? toSession(raw) : null;
  }

  /** Newest first. */
  list(limit: number): CompareSessionRow[] {
    return this.#db
      .prepare<[number], RawSession>(
        `SELECT ${SESSION_COLUMNS} FROM compare_sessions s ORDER BY s.id DESC LIMIT ?`,
      )
      .all(limit)
      .map(toSession);
  }

  items(id: number): CompareItemRow[] {
    return this.#db
      .prepare<[number], RawItem>(
        `SELECT ${ITEM_COLUMNS} FROM compare_items WHERE session_id = ? ORDER BY position`,
      )
      .all(id)
      .map(toItem);
  }

  setJob(id: number, jobId: number): void {
    this.#db.prepare('UPDATE compare_sessions SET job_id = ? WHERE id = ?').run(jobId, id);
  }

  setStatus(id: number, status: Exclude<CompareStatus, 'revealed'>, error: string | null = null): void {
    this.#db.prepare('UPDATE compare_sessions SET status = ?, error = ? WHERE id = ?').run(status, error, id);
  }

  /** Stores one model's outputs by item position, all in one transaction. */
  setOutputs(
    id: number,
    side: 'a' | 'b',
    outputs: ReadonlyArray<{ position: number; text: string; tokens: number }>,
  ): void {
    const column = side === 'a' ? 'output_a = ?, tokens_a = ?' : 'output_b = ?, tokens_b = ?';
    const update = this.#db.prepare<[string, number, number, number]>(
      `UPDATE compare_items SET ${column} WHERE session_id = ? AND position = ?`,
    );
    this.#db.transaction(() => {
      for (const o of outputs) update.run(o.text, o.tokens, id, o.position);
    })();
  }

  /** Records (or changes) the vote on one item; false when the item does not exist. */
  vote(id: number, position: number, vote: CompareVote): boolean {
    const result = this.#db
      .prepare<[string, number, number]>(
        `UPDATE compare_items SET vote = ?, voted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE session_id = ? AND position = ?`,
      )
      .run(vote, id, position);
    return result.changes === 1;
  }

  reveal(id: number, resultJson: string): void {
    this.#db
      .prepare<[string, number]>(
        `UPDATE compare_sessions SET status = 'revealed', result_json = ?,
           revealed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
      )
      .run(resultJson, id);
  }

  /**
   * Sessions whose generation was cut off by a crash or kill (their job was marked interrupted at startup,
   * or never got one); their outputs and votes so far are kept.
   */
  markInterruptedAtStartup(): number {
    return this.#db
      .prepare(
        `UPDATE compare_sessions SET status = 'interrupted', error = 'the workbench closed while generating'
          WHERE status = 'generating'
            AND (job_id IS NULL OR job_id IN (SELECT id FROM jobs WHERE status IN ('interrupted', 'failed', 'cancelled')))`,
      )
      .run().changes;
  }

  margins(runId: number): StoredMargin[] {
    return this.#db
      .prepare<[number], StoredMargin>(
        `SELECT pair_id AS pairId, split, margin_before AS marginBefore, margin_after AS marginAfter
           FROM reward_margins WHERE run_id = ? ORDER BY pair_id`,
      )
      .all(runId);
  }

  saveMargins(runId: number, rows: readonly StoredMargin[]): void {
    const insert = this.#db.prepare<[number, number, string, number, number]>(
      `INSERT OR REPLACE INTO reward_margins (run_id, pair_id, split, margin_before, margin_after)
       VALUES (?, ?, ?, ?, ?)`,
    );
    this.#db.transaction(() => {
      for (const r of rows) insert.run(runId, r.pairId, r.split, r.marginBefore, r.marginAfter);
    })();
  }
}
