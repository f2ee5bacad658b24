// Per-annotator reading of ratings for quality checks and speed: which rated pair to re-show, how many
// checks were done and how many matched the live rating, and the time spent per rating.
import type Database from 'better-sqlite3';
import type { Choice } from '../../src-shared/schemas';

// The annotator's oldest live rating (with a judgement) of a pair not re-shown yet: the live-rating index
// for c, the quality-check index for the NOT EXISTS.
export const QUALITY_CHECK_CANDIDATE_SQL = `SELECT c.pair_id AS pairId, c.left_candidate_id AS leftCandidateId
  FROM comparisons c
  WHERE c.annotator_id = ? AND c.undone_at IS NULL AND c.is_quality_check = 0 AND c.choice <> 'skip'
    AND NOT EXISTS (
      SELECT 1 FROM comparisons q
      WHERE q.annotator_id = c.annotator_id AND q.pair_id = c.pair_id
        AND q.undone_at IS NULL AND q.is_quality_check = 1
    )
  ORDER BY c.id LIMIT 1`;

const CONSISTENCY_SQL = `SELECT COUNT(*) AS checks, COALESCE(SUM(q.choice = c.choice), 0) AS consistent
  FROM comparisons q
  JOIN comparisons c ON c.annotator_id = q.annotator_id AND c.pair_id = q.pair_id
    AND c.undone_at IS NULL AND c.is_quality_check = 0
  WHERE q.annotator_id = ? AND q.undone_at IS NULL AND q.is_quality_check = 1`;

export class RatingStatsRepo {
  readonly #candidate: Database.Statement<[number], { pairId: number; leftCandidateId: number }>;
  readonly #consistency: Database.Statement<[number], { checks: number; consistent: number }>;
  readonly #times: Database.Statement<[number], number>;
  readonly #live: Database.Statement<[number, number], { choice: Choice; leftCandidateId: number }>;

  constructor(db: Database.Database) {
    this.#candidate = db.prepare(QUALITY_CHECK_CANDIDATE_SQL);
    this.#consistency = db.prepare(CONSISTENCY_SQL);
    this.#times = db
      .prepare<[number], number>(
        `SELECT time_spent_ms FROM comparisons
         WHERE annotator_id = ? AND undone_at IS NULL AND is_quality_check = 0 ORDER BY time_spent_ms`,
      )
      .pluck();
    this.#live = db.prepare(
      `SELECT choice, left_candidate_id AS leftCandidateId FROM comparisons
       WHERE annotator_id = ? AND pair_id = ? AND undone_at IS NULL AND is_quality_check = 0`,
    );
  }

  qualityCheckCandidate(annotatorId: number): { pairId: number; leftCandidateId: number } | undefined {
    return this.#candidate.get(annotatorId);
  }

  consistency(annotatorId: number): { checks: number; consistent: number } {
    return this.#consistency.get(annotatorId) ?? { checks: 0, consistent: 0 };
  }

  /** time_spent_ms of the annotator's live ratings, ascending. */
  sortedTimes(annotatorId: number): number[] {
    return this.#times.all(annotatorId);
  }

  liveRating(annotatorId: number, pairId: number): { choice: Choice; leftCandidateId: number } | undefined {
    return this.#live.get(annotatorId, pairId);
  }
}
