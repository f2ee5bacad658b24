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

const LIVE = 'undone_at IS NULL AND is_quality_check = 0';
const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// NOT EXISTS against the partial index: a search per pair in id order, never a scan of comparisons.
export const NEXT_UNRATED_SQL = `SELECT p.id AS pairId FROM pairs p
  WHERE NOT EXISTS (
    SELECT 1 FROM comparisons c
    WHERE c.pair_id = p.id AND c.annotator_id = ? AND c.undone_at IS NULL AND c.is_quality_check = 0
  )
  ORDER BY p.id LIMIT 1`;

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
 * Rating progress. The annotator's live ratings are counted in the partial index of live ratings alone
 * (no table lookups): left to itself the planner picks comparisons_by_annotator and reads every rating's
 * row to test undone_at and is_quality_check, about 20 times slower with 100,000 ratings (bench:data).
 */
export const PROGRESS_SQL = `SELECT
    (SELECT COUNT(*) FROM comparisons INDEXED BY comparisons_live_rating WHERE annotator_id = ? AND ${LIVE}) AS rated,
    (SELECT COUNT(*) FROM pairs) AS total`;

type InsertParams = [number, number, Choice, Strength | null, string | null, string, number, number, 0 | 1];

export class ComparisonsRepo {
  readonly #nextUnrated: Database.Statement<[number], { pairId: number }>;
  readonly #insert: Database.Statement<InsertParams>;
  readonly #undoLast: Database.Statement<
    [number],
    { pairId: number; leftCandidateId: number; isQualityCheck: 0 | 1 }
  >;
  readonly #progress: Database.Statement<[number], { rated: number; total: number }>;
  readonly #recent: Database.Statement<[number, number], RatingSummary>;

  constructor(db: Database.Database) {
    this.#nextUnrated = db.prepare(NEXT_UNRATED_SQL);
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

  /** The lowest-id pair this annotator has no live rating for. */
  nextUnrated(annotatorId: number): { pairId: number } | undefined {
    return this.#nextUnrated.get(annotatorId);
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
    const counts = this.#progress.get(annotatorId) ?? { rated: 0, total: 0 };
    return { rated: counts.rated, total: counts.total, remaining: counts.total - counts.rated };
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
