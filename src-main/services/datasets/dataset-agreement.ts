// Agreement over a dataset's pairs: every live rating of them (skips carry no judgement and are left out;
// tie and both_bad are categories like a and b), Krippendorff's alpha overall and Cohen's kappa per two.
import { cohensKappa, krippendorffAlphaNominal } from '../../../src-shared/agreement';
import type { Agreement } from '../../../src-shared/labeling-schemas';
import type { Choice } from '../../../src-shared/schemas';

export interface PairRating {
  pairId: number;
  annotatorId: number;
  choice: Choice;
}

export function datasetAgreement(ratings: readonly PairRating[]): Agreement {
  const byPair = new Map<number, Map<number, Choice>>();
  for (const rating of ratings) {
    if (rating.choice === 'skip') continue;
    const pair = byPair.get(rating.pairId) ?? new Map<number, Choice>();
    pair.set(rating.annotatorId, rating.choice);
    byPair.set(rating.pairId, pair);
  }
  const units = [...byPair.values()];
  const annotators = [...new Set(units.flatMap((unit) => [...unit.keys()]))].sort((x, y) => x - y);
  const pairwise = annotators.flatMap((first, i) =>
    annotators.slice(i + 1).map((second) => {
      const shared = units.filter((unit) => unit.has(first) && unit.has(second));
      const labels = (who: number) => shared.map((unit) => unit.get(who) as Choice);
      return {
        annotatorA: first,
        annotatorB: second,
        sharedPairs: shared.length,
        kappa: cohensKappa(labels(first), labels(second)),
      };
    }),
  );
  return {
    annotators: annotators.length,
    sharedPairs: units.filter((unit) => unit.size >= 2).length,
    alpha: krippendorffAlphaNominal(units.map((unit) => [...unit.values()])),
    pairwise: pairwise.filter((entry) => entry.sharedPairs > 0),
  };
}
