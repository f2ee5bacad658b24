// Per-annotator reading of ratings for quality checks and speed: which rated pair to re-show, how many
// checks were done and how many matched the live rating, and the time spent per rating.
import type Database from 'better-sqlite3';
import type { Choice } from '../../src-shared/schemas';

// The annotator's oldest live rating (with a judgement) of a pair not re-shown yet, not among their last
// QUALITY_CHECK_GAP - 1 comparisons (so a check never follows its original at once): the annotator
// index for c (named: with the id bound the planner would otherwise walk every annotator's ratings by
// rowid), the quality-check index for the NOT EXISTS.
export const QUALITY_CHECK_GAP = 3;
export const QUALITY_CHECK_CANDIDATE_SQL = `SELECT c.pair_id AS pairId, c.left_candidate_id AS leftCandidateId
  FROM comparisons c INDEXED BY comparisons_by_annotator
  WHERE c.annotator_id = @annotatorId AND c.undone_at IS NULL AND c.is_quality_check = 0 AND c.choice <> 'skip'
    AND c.id <= (
      SELECT id FROM comparisons WHERE annotator_id = @annotatorId ORDER BY id DESC LIMIT 1 OFFSET ${QUALITY_CHECK_GAP - 1}
    )
    AND NOT EXISTS (
      SELECT 1 FROM comparisons q
      WHERE q.annotator_id = c.annotator_id AND q.pair_id = c.pair_id
        AND q.undone_at IS NULL AND q.is_quality_check = 1
    )
  ORDER BY c.id LIMIT 1`;

// Judged live ratings since the annotator's last live quality check, counted up to @cap (bounded work).
const RATED_SINCE_CHECK_SQL = `SELECT COUNT(*) FROM (
    SELECT 1 FROM comparisons
    WHERE annotator_id = @annotatorId AND undone_at IS NULL AND is_quality_check = 0 AND choice <> 'skip'
      AND id > coalesce((
        SELECT max(id) FROM comparisons
        WHERE annotator_id = @annotatorId AND undone_at IS NULL AND is_quality_check = 1
      ), 0)
    ORDER BY id DESC LIMIT @cap
  )`;

const CONSISTENCY_SQL = `SELECT COUNT(*) AS checks, COALESCE(SUM(q.choice = c.choice), 0) AS consistent
  FROM comparisons q
  JOIN comparisons c ON c.annotator_id = q.annotator_id AND c.pair_id = q.pair_id
    AND c.undone_at IS NULL AND c.is_quality_check = 0
  WHERE q.annotator_id = ? AND q.undone_at IS NULL AND q.is_quality_check = 1`;

export class RatingStatsRepo {
  readonly #candidate: Database.Statement<
    [{ annotatorId: number }],
    { pairId: number; leftCandidateId: number }
  >;
  readonly #ratedSinceCheck: Database.Statement<[{ annotatorId: number; cap: number }], number>;
  readonly #consistency: Database.Statement<[number], { checks: number; consistent: number }>;
  readonly #times: Database.Statement<[number], number>;
  readonly #live: Database.Statement<[number, number], { choice: Choice; leftCandidateId: number }>;

  constructor(db: Database.Database) {
    this.#candidate = db.prepare(QUALITY_CHECK_CANDIDATE_SQL);
    this.#ratedSinceCheck = db
      .prepare<[{ annotatorId: number; cap: number }], number>(RATED_SINCE_CHECK_SQL)
      .pluck();
    this.#consistency = db.prepare(CONSISTENCY_SQL);
    this.#times = db
      .prepare<[number], number>(
        `SELECT time_spent_ms FROM comparisons
         WHERE annotator_id = ? AND undone_at IS NULL AND is_quality_check = 0 AND choice <> 'skip'
         ORDER BY time_spent_ms`,
      )
      .pluck();
    this.#live = db.prepare(
      `SELECT choice, left_candidate_id AS leftCandidateId FROM comparisons
       WHERE annotator_id = ? AND pair_id = ? AND undone_at IS NULL AND is_quality_check = 0`,
    );
  }

  qualityCheckCandidate(annotatorId: number): { pairId: number; leftCandidateId: number } | undefined {
    return this.#candidate.get({ annotatorId });
  }

  /** Judged live ratings since the annotator's last quality check, counted up to `cap`. */
  ratedSinceCheck(annotatorId: number, cap: number): number {
    return this.#ratedSinceCheck.get({ annotatorId, cap }) ?? 0;
  }

  consistency(annotatorId: number): { checks: number; consistent: number } {
    return this.#consistency.get(annotatorId) ?? { checks: 0, consistent: 0 };
  }

  /** time_spent_ms of the annotator's live judged ratings (a skip is not a rating's pace), ascending. */
  sortedTimes(annotatorId: number): number[] {
    return this.#times.all(annotatorId);
  }

  liveRating(annotatorId: number, pairId: number): { choice: Choice; leftCandidateId: number } | undefined {
    return this.#live.get(annotatorId, pairId);
  }
}
