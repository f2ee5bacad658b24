// Ratings -> preference pairs for a dataset snapshot, as a pure function: filters, a majority per pair
// (several annotators), weights from strength, dedupe, and the deterministic split.
import type { DatasetFilters, DatasetStats, Split } from '../../../src-shared/labeling-schemas';
import type { Choice } from '../../../src-shared/schemas';
import type { DatasetPairRow, ImportedSource, RatingSource } from '../../store/datasets-repo';
import { splitRows } from './split';

/**
 * Weight of a preference from its strength: slight 0.5, clear 0.75, strong 1.0; a rating without a
 * strength counts as clear (the Rate view's default). With several annotators, the mean over the majority.
 */
export const STRENGTH_WEIGHTS: Record<1 | 2 | 3, number> = { 1: 0.5, 2: 0.75, 3: 1 };
export const DEFAULT_WEIGHT = STRENGTH_WEIGHTS[2];
export const IMPORTED_WEIGHT = 1;

export interface BuildSettings {
  filters: DatasetFilters;
  evalFraction: number;
  splitSeed: number;
}

export type BuildCounts = Omit<DatasetStats, 'lengths'>;

export interface BuiltDataset {
  rows: DatasetPairRow[];
  counts: BuildCounts;
}

type Verdict =
  { kind: 'pair'; winner: 'a' | 'b'; votes: RatingSource[] } | { kind: keyof BuildCounts['dropped'] };

function endOfDay(bound: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(bound) ? `${bound}T23:59:59.999Z` : bound;
}

export function passesFilters(rating: RatingSource, filters: DatasetFilters): boolean {
  const { annotatorIds, tags, from, to } = filters;
  if (annotatorIds && annotatorIds.length > 0 && !annotatorIds.includes(rating.annotatorId)) return false;
  if (from !== undefined && rating.createdAt < from) return false;
  if (to !== undefined && rating.createdAt > endOfDay(to)) return false;
  if (tags && tags.length > 0) {
    const own = JSON.parse(rating.tagsJson) as string[];
    if (!own.some((tag) => tags.includes(tag))) return false;
  }
  return true;
}

/** The majority of a pair's ratings (skips are no vote); ties at the top are conflicts and dropped. */
export function verdictOf(ratings: readonly RatingSource[], minAgreement: number | undefined): Verdict {
  const votes = ratings.filter((rating) => rating.choice !== 'skip');
  if (votes.length === 0) return { kind: 'noPreference' };
  const tally = new Map<Choice, number>();
  for (const vote of votes) tally.set(vote.choice, (tally.get(vote.choice) ?? 0) + 1);
  const top = Math.max(...tally.values());
  const leaders = [...tally].filter(([, n]) => n === top).map(([choice]) => choice);
  if (leaders.length > 1) return { kind: 'conflicts' };
  const winner = leaders[0];
  if (winner !== 'a' && winner !== 'b') return { kind: 'noPreference' };
  if (votes.length > 1 && minAgreement !== undefined && top / votes.length < minAgreement) {
    return { kind: 'lowAgreement' };
  }
  return { kind: 'pair', winner, votes: votes.filter((vote) => vote.choice === winner) };
}

function weightOf(votes: readonly RatingSource[]): number {
  const weights = votes.map((vote) =>
    vote.strength === 1 || vote.strength === 2 || vote.strength === 3
      ? STRENGTH_WEIGHTS[vote.strength]
      : DEFAULT_WEIGHT,
  );
  return weights.reduce((sum, weight) => sum + weight, 0) / weights.length;
}

function groupByPair(ratings: readonly RatingSource[]): Map<number, RatingSource[]> {
  const groups = new Map<number, RatingSource[]>();
  for (const rating of ratings) {
    const group = groups.get(rating.pairId);
    if (group) group.push(rating);
    else groups.set(rating.pairId, [rating]);
  }
  return groups;
}

export function emptyCounts(): BuildCounts {
  return {
    pairs: 0,
    train: 0,
    eval: 0,
    fromRatings: 0,
    fromImport: 0,
    comparisons: 0,
    choices: { a: 0, b: 0, tie: 0, both_bad: 0, skip: 0 },
    tieRate: 0,
    bothBadRate: 0,
    skipRate: 0,
    dropped: { noPreference: 0, conflicts: 0, lowAgreement: 0, duplicates: 0 },
    perAnnotator: [],
  };
}

function countRatings(counts: BuildCounts, ratings: readonly RatingSource[]): void {
  const perAnnotator = new Map<number, { annotatorId: number; name: string; comparisons: number }>();
  for (const rating of ratings) {
    counts.choices[rating.choice] += 1;
    const entry = perAnnotator.get(rating.annotatorId) ?? {
      annotatorId: rating.annotatorId,
      name: rating.annotatorName,
      comparisons: 0,
    };
    entry.comparisons += 1;
    perAnnotator.set(rating.annotatorId, entry);
  }
  counts.comparisons = ratings.length;
  const rate = (n: number) => (ratings.length === 0 ? 0 : n / ratings.length);
  counts.tieRate = rate(counts.choices.tie);
  counts.bothBadRate = rate(counts.choices.both_bad);
  counts.skipRate = rate(counts.choices.skip);
  counts.perAnnotator = [...perAnnotator.values()].sort((x, y) => x.annotatorId - y.annotatorId);
}

/** Per annotator: how many of the dataset's pairs their votes decided, on each side of the split. */
function countSplitPerAnnotator(
  counts: BuildCounts,
  items: readonly { voters: readonly number[] }[],
  sides: readonly Split[],
): void {
  for (const entry of counts.perAnnotator) {
    entry.train = 0;
    entry.eval = 0;
  }
  const byId = new Map(counts.perAnnotator.map((entry) => [entry.annotatorId, entry]));
  items.forEach((item, i) => {
    for (const voter of new Set(item.voters)) {
      const entry = byId.get(voter);
      if (!entry) continue;
      if (sides[i] === 'eval') entry.eval = (entry.eval ?? 0) + 1;
      else entry.train = (entry.train ?? 0) + 1;
    }
  });
}

export function buildDataset(
  ratingSources: readonly RatingSource[],
  importedSources: readonly ImportedSource[],
  settings: BuildSettings,
): BuiltDataset {
  const { filters, evalFraction, splitSeed } = settings;
  const ratings = ratingSources.filter((rating) => passesFilters(rating, filters));
  const counts = emptyCounts();
  countRatings(counts, ratings);
  const unsplit: { row: Omit<DatasetPairRow, 'split'>; promptText: string; voters: number[] }[] = [];
  const seen = new Set<string>();
  const add = (row: Omit<DatasetPairRow, 'split'>, promptText: string, voters: number[]): boolean => {
    const key = `${promptText}\u0000${row.chosenCandidateId}\u0000${row.rejectedCandidateId}`;
    if (seen.has(key)) {
      counts.dropped.duplicates += 1;
      return false;
    }
    seen.add(key);
    unsplit.push({ row, promptText, voters });
    return true;
  };
  const grouped = groupByPair(ratings);
  for (const [pairId, group] of grouped) {
    const verdict = verdictOf(group, filters.minAgreement);
    if (verdict.kind !== 'pair') {
      counts.dropped[verdict.kind] += 1;
      continue;
    }
    const first = group[0] as RatingSource;
    const [chosen, rejected] =
      verdict.winner === 'a'
        ? [first.candidateAId, first.candidateBId]
        : [first.candidateBId, first.candidateAId];
    const comparisonId = Math.max(...verdict.votes.map((vote) => vote.comparisonId));
    const row = { pairId, comparisonId, chosenCandidateId: chosen, rejectedCandidateId: rejected };
    const voters = verdict.votes.map((vote) => vote.annotatorId);
    if (add({ ...row, weight: weightOf(verdict.votes) }, first.promptText, voters)) counts.fromRatings += 1;
  }
  if (filters.includeImported) {
    for (const source of importedSources) {
      if (grouped.has(source.pairId)) continue;
      const { pairId, chosenCandidateId, rejectedCandidateId } = source;
      const row = {
        pairId,
        comparisonId: null,
        chosenCandidateId,
        rejectedCandidateId,
        weight: IMPORTED_WEIGHT,
      };
      if (add(row, source.promptText, [])) counts.fromImport += 1;
    }
  }
  const sides = splitRows(
    unsplit,
    (item) => item.promptText,
    (item) => item.row.comparisonId !== null,
    splitSeed,
    evalFraction,
  );
  const rows: DatasetPairRow[] = unsplit.map((item, i) => ({ ...item.row, split: sides[i] ?? 'train' }));
  countSplitPerAnnotator(counts, unsplit, sides);
  counts.pairs = rows.length;
  counts.eval = rows.filter((row) => row.split === 'eval').length;
  counts.train = counts.pairs - counts.eval;
  return { rows, counts };
}
