// Comparisons: one person's judgement of one pair. A rating is "live" while not undone and not a quality
// check; the partial unique index comparisons_live_rating allows one live rating per annotator and pair.
import type Database from 'better-sqlite3';
import type { Choice, RatingProgress, RatingSummary, Strength } from '../../src-shared/schemas';
import { ConflictError, NotFoundError, isSqliteError } from './errors';

export interface NewComparison {
  pairId: number;
  annotatorId: number;
  choice: Choice;
  /** Only with choice 'a' or 'b' (a CHECK constraint enforces it). */
  strength: Strength | null;
  note: string | null;
  /** A JSON array; defaults to '[]'. */
  tagsJson?: string;
  timeSpentMs: number;
  leftCandidateId: number;
  isQualityCheck?: boolean;
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// The queue: pairs in queue_key order (prompts interleaved, migration 0005), from the annotator's cursor
// on (every pair below it is rated), each tested against the live-rating index. Constant-time while the
// annotator rates in order; after an undo or a new pair below the cursor it starts from there.
export const NEXT_UNRATED_SQL = `SELECT p.id AS pairId, p.queue_key AS queueKey FROM pairs p INDEXED BY pairs_queue
  WHERE p.queue_key >= coalesce((SELECT queue_cursor FROM rating_counts WHERE annotator_id = @annotatorId), 0)
    AND NOT EXISTS (
      SELECT 1 FROM comparisons c
      WHERE c.pair_id = p.id AND c.annotator_id = @annotatorId AND c.undone_at IS NULL AND c.is_quality_check = 0
    )
  ORDER BY p.queue_key, p.id LIMIT 1`;

export const RECENT_SQL = `SELECT c.id AS comparisonId, c.pair_id AS pairId, pr.text AS prompt, c.choice,
    CASE
      WHEN c.choice NOT IN ('a', 'b') THEN c.choice
      WHEN (c.choice = 'a') = (c.left_candidate_id = p.candidate_a_id) THEN 'left'
      ELSE 'right'
    END AS shownChoice,
    c.strength,
    c.note, c.left_candidate_id AS leftCandidateId, c.time_spent_ms AS timeSpentMs, c.created_at AS createdAt
  FROM comparisons c
  JOIN pairs p ON p.id = c.pair_id
  JOIN prompts pr ON pr.id = p.prompt_id
  WHERE c.annotator_id = ? AND c.undone_at IS NULL AND c.is_quality_check = 0
  ORDER BY c.id DESC LIMIT ?`;

/**
 * Rating progress from the counters the triggers of migration 0005 keep (rating_counts, pair_count):
 * two primary-key lookups, whatever the number of ratings. A skip is counted apart from a judgement.
 */
export const PROGRESS_SQL = `SELECT
    coalesce((SELECT rated FROM rating_counts WHERE annotator_id = @annotatorId), 0) AS rated,
    coalesce((SELECT skipped FROM rating_counts WHERE annotator_id = @annotatorId), 0) AS skipped,
    coalesce((SELECT pairs FROM pair_count WHERE only_row = 1), 0) AS total`;

type InsertParams = [number, number, Choice, Strength | null, string | null, string, number, number, 0 | 1];

export class ComparisonsRepo {
  readonly #nextUnrated: Database.Statement<[{ annotatorId: number }], { pairId: number; queueKey: number }>;
  readonly #moveCursor: Database.Statement<[number, number, number]>;
  readonly #queueEnd: Database.Statement<[], number | null>;
  readonly #insert: Database.Statement<InsertParams>;
  readonly #undoLast: Database.Statement<
    [number],
    { pairId: number; leftCandidateId: number; isQualityCheck: 0 | 1 }
  >;
  readonly #progress: Database.Statement<
    [{ annotatorId: number }],
    { rated: number; skipped: number; total: number }
  >;
  readonly #recent: Database.Statement<[number, number], RatingSummary>;

  constructor(db: Database.Database) {
    this.#nextUnrated = db.prepare(NEXT_UNRATED_SQL);
    this.#moveCursor = db.prepare(
      'UPDATE rating_counts SET queue_cursor = ? WHERE annotator_id = ? AND queue_cursor < ?',
    );
    this.#queueEnd = db.prepare<[], number | null>('SELECT max(queue_key) FROM pairs').pluck();
    this.#insert = db.prepare(
      `INSERT INTO comparisons (pair_id, annotator_id, choice, strength, note, tags_json, time_spent_ms,
         left_candidate_id, is_quality_check) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#undoLast = db.prepare(
      `UPDATE comparisons SET undone_at = ${NOW}
       WHERE id = (SELECT id FROM comparisons WHERE annotator_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1)
       RETURNING pair_id AS pairId, left_candidate_id AS leftCandidateId, is_quality_check AS isQualityCheck`,
    );
    this.#progress = db.prepare(PROGRESS_SQL);
    this.#recent = db.prepare(RECENT_SQL);
  }

  /** The first pair in queue order this annotator has no live rating for; remembers where it was found. */
  nextUnrated(annotatorId: number): { pairId: number } | undefined {
    const next = this.#nextUnrated.get({ annotatorId });
    const cursor = next ? next.queueKey : (this.#queueEnd.get() ?? -1) + 1;
    this.#moveCursor.run(cursor, annotatorId, cursor);
    return next && { pairId: next.pairId };
  }

  /** Stores a rating and returns its id. */
  insert(input: NewComparison): number {
    const params: InsertParams = [
      input.pairId,
      input.annotatorId,
      input.choice,
      input.strength,
      input.note,
      input.tagsJson ?? '[]',
      input.timeSpentMs,
      input.leftCandidateId,
      input.isQualityCheck === true ? 1 : 0,
    ];
    try {
      return Number(this.#insert.run(...params).lastInsertRowid);
    } catch (error) {
      throw describeInsertError(error, input);
    }
  }

  /** Undoes the annotator's most recent rating, a quality check included; undefined when there is none. */
  undoLast(
    annotatorId: number,
  ): { pairId: number; leftCandidateId: number; isQualityCheck: boolean } | undefined {
    const undone = this.#undoLast.get(annotatorId);
    return undone && { ...undone, isQualityCheck: undone.isQualityCheck === 1 };
  }

  /** Each live rating is of a distinct pair (the partial unique index), so counting ratings counts pairs. */
  progress(annotatorId: number): RatingProgress {
    const { rated, skipped, total } = this.#progress.get({ annotatorId }) ?? {
      rated: 0,
      skipped: 0,
      total: 0,
    };
    return { rated, skipped, total, remaining: Math.max(0, total - rated - skipped) };
  }

  /** The annotator's live ratings, newest first. */
  listRecent(annotatorId: number, limit: number): RatingSummary[] {
    return this.#recent.all(annotatorId, limit);
  }
}

function describeInsertError(error: unknown, input: NewComparison): unknown {
  if (isSqliteError(error, 'SQLITE_CONSTRAINT_UNIQUE')) {
    return new ConflictError(`pair ${input.pairId} is already rated by annotator ${input.annotatorId}`, {
      cause: error,
    });
  }
  if (isSqliteError(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) {
    const ids = `pair ${input.pairId}, annotator ${input.annotatorId} or candidate ${input.leftCandidateId}`;
    return new NotFoundError(`${ids} does not exist`, { cause: error });
  }
  return error;
}
