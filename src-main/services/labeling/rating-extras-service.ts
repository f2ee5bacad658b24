// What the Rate view needs beyond one rating: reason tags, quality checks (an already rated pair re-shown
// with its sides swapped), per-annotator progress, speed and self-consistency, and rank mode.
import type Database from 'better-sqlite3';
import { ApiError } from '../../../src-shared/errors';
import { RatingTags, type AnnotatorStats, type RatingTag } from '../../../src-shared/labeling-schemas';
import { AnnotatorsRepo } from '../../store/annotators-repo';
import { ComparisonsRepo } from '../../store/comparisons-repo';
import { PairsRepo } from '../../store/pairs-repo';
import { RatingStatsRepo } from '../../store/rating-stats-repo';
import { SettingsRepo } from '../../store/settings-repo';
import { summarize } from '../datasets/text-lengths';
import type { EventBus } from '../jobs/event-bus';

/** One quality check is due per this many live ratings (1 in 10). */
export const QUALITY_CHECK_EVERY = 10;
const TAGS_KEY = 'rating_tags';

export interface RankingInput {
  annotatorId: number;
  promptId: number;
  /** Best first. */
  candidateIds: number[];
  timeSpentMs: number;
}

export function createRatingExtras(db: Database.Database, events: EventBus) {
  const settings = new SettingsRepo(db);
  const stats = new RatingStatsRepo(db);
  const pairs = new PairsRepo(db);
  const comparisons = new ComparisonsRepo(db);
  const annotators = new AnnotatorsRepo(db);

  function ratingTags(): RatingTag[] {
    return RatingTags.parse(settings.get(TAGS_KEY) ?? []);
  }

  /** The tags as JSON for a rating; every one must be a configured tag's name. */
  function tagsJson(tags: readonly string[]): string {
    const known = new Set(ratingTags().map((tag) => tag.name));
    const unknown = tags.filter((tag) => !known.has(tag));
    if (unknown.length > 0) {
      throw new ApiError('invalid_input', `tags: unknown tag ${unknown.map((tag) => `"${tag}"`).join(', ')}`);
    }
    return JSON.stringify([...new Set(tags)]);
  }

  /**
   * The pair to re-show (sides swapped from the live rating) when a quality check is due, else undefined.
   * Due after QUALITY_CHECK_EVERY judged ratings since the last check, so checks stay spaced out even
   * after many ratings made without them (rank mode, another tab, a script).
   */
  function dueQualityCheck(annotatorId: number): { pairId: number; leftCandidateId: number } | undefined {
    if (stats.ratedSinceCheck(annotatorId, QUALITY_CHECK_EVERY) < QUALITY_CHECK_EVERY) return undefined;
    const candidate = stats.qualityCheckCandidate(annotatorId);
    if (!candidate) return undefined;
    const pair = pairs.getPair(candidate.pairId);
    if (!pair) return undefined;
    const swapped =
      candidate.leftCandidateId === pair.candidateA.id ? pair.candidateB.id : pair.candidateA.id;
    return { pairId: pair.id, leftCandidateId: swapped };
  }

  function requireLiveRating(annotatorId: number, pairId: number): void {
    if (!stats.liveRating(annotatorId, pairId)) {
      throw new ApiError(
        'invalid_input',
        `qualityCheck: pair ${pairId} has no rating by this annotator to check`,
      );
    }
  }

  function annotatorStats(): AnnotatorStats[] {
    return annotators.list().map((annotator) => {
      const progress = comparisons.progress(annotator.id);
      const times = stats.sortedTimes(annotator.id);
      const { checks, consistent } = stats.consistency(annotator.id);
      return {
        annotatorId: annotator.id,
        name: annotator.name,
        ...progress,
        medianTimeMs: times.length === 0 ? null : summarize(times).median,
        qualityChecks: checks,
        consistentChecks: consistent,
        selfConsistency: checks === 0 ? null : consistent / checks,
      };
    });
  }

  function checkRanking(input: RankingInput): void {
    const found = pairs.promptWithCandidates(input.promptId);
    if (!found) throw new ApiError('not_found', `promptId: no prompt with id ${input.promptId}`);
    const own = new Set(found.candidates.map((candidate) => candidate.id));
    const stranger = input.candidateIds.find((id) => !own.has(id));
    if (stranger !== undefined) {
      throw new ApiError(
        'invalid_input',
        `candidateIds: ${stranger} is not a candidate of prompt ${input.promptId}`,
      );
    }
    if (new Set(input.candidateIds).size !== input.candidateIds.length) {
      throw new ApiError('invalid_input', 'candidateIds: a candidate is ranked twice');
    }
  }

  /** A ranking (best first) -> every pair of it (origin 'rank') rated by the annotator; rated pairs stay. */
  function submitRanking(input: RankingInput) {
    checkRanking(input);
    const ids = input.candidateIds;
    const pairCount = (ids.length * (ids.length - 1)) / 2;
    const timeSpentMs = Math.round(input.timeSpentMs / Math.max(1, pairCount));
    const result = db.transaction(() => {
      const counts = { pairsAdded: 0, comparisonsAdded: 0, alreadyRated: 0, ratedPairIds: [] as number[] };
      ids.forEach((better, i) =>
        ids.slice(i + 1).forEach((worse) => {
          const { pairId, added } = pairs.addPair(input.promptId, better, worse, 'rank');
          if (added) counts.pairsAdded += 1;
          if (stats.liveRating(input.annotatorId, pairId)) {
            counts.alreadyRated += 1;
            return;
          }
          const pair = pairs.getPair(pairId);
          const choice = pair?.candidateA.id === better ? 'a' : 'b';
          const base = { pairId, annotatorId: input.annotatorId, strength: null, note: null };
          comparisons.insert({ ...base, choice, timeSpentMs, leftCandidateId: better });
          counts.comparisonsAdded += 1;
          counts.ratedPairIds.push(pairId);
        }),
      );
      return counts;
    })();
    for (const pairId of result.ratedPairIds) {
      events.emit('ratingsChanged', { annotatorId: input.annotatorId, pairId, kind: 'rated' });
    }
    const { pairsAdded, comparisonsAdded, alreadyRated } = result;
    return { pairsAdded, comparisonsAdded, alreadyRated };
  }

  return {
    ratingTags,
    setRatingTags: (tags: RatingTag[]) => {
      settings.set(TAGS_KEY, RatingTags.parse(tags));
      return ratingTags();
    },
    tagsJson,
    dueQualityCheck,
    requireLiveRating,
    annotatorStats,
    submitRanking,
  };
}

export type RatingExtras = ReturnType<typeof createRatingExtras>;
