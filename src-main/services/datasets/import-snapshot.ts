// The snapshot of one imported file (import --dataset NAME): each row's pair with the file's preference,
// a repeated row once, a pair the file prefers both ways dropped as a conflict.
import type { DatasetPairRow } from '../../store/datasets-repo';
import type { ImportedPair } from '../../store/pairs-repo';
import { IMPORTED_WEIGHT, type BuildCounts } from './build-dataset';

export function importSnapshot(pairs: readonly ImportedPair[]): {
  rows: DatasetPairRow[];
  counts: BuildCounts;
} {
  const byPair = new Map<number, ImportedPair>();
  const conflicted = new Set<number>();
  let duplicates = 0;
  for (const pair of pairs) {
    const earlier = byPair.get(pair.pairId);
    if (!earlier) byPair.set(pair.pairId, pair);
    else if (earlier.chosenCandidateId === pair.chosenCandidateId) duplicates += 1;
    else conflicted.add(pair.pairId);
  }
  const rows: DatasetPairRow[] = [...byPair.values()]
    .filter((pair) => !conflicted.has(pair.pairId))
    .map((pair) => ({ ...pair, comparisonId: null, weight: IMPORTED_WEIGHT, split: 'train' }));
  const counts: BuildCounts = {
    pairs: rows.length,
    train: rows.length,
    eval: 0,
    fromRatings: 0,
    fromImport: rows.length,
    comparisons: 0,
    choices: { a: 0, b: 0, tie: 0, both_bad: 0, skip: 0 },
    tieRate: 0,
    bothBadRate: 0,
    skipRate: 0,
    dropped: { noPreference: 0, conflicts: conflicted.size, lowAgreement: 0, duplicates },
    perAnnotator: [],
  };
  return { rows, counts };
}
