// Pairing strategies: exact pairs for all pairs, best vs worst, seeded random and uncertainty (smallest reward
// margin first), and near-duplicates dropped.
import { describe, expect, it } from 'vitest';
import {
  allPairs,
  bestWorstPair,
  dropNearDuplicates,
  pairCandidates,
  randomPairs,
  uncertaintyPairs,
  wordJaccard,
  type PairingCandidate,
} from './pairing';

function candidate(id: number, text: string, logp: number | null = null, tokenCount: number | null = null) {
  return { id, text, logp, tokenCount } satisfies PairingCandidate;
}

const FOUR = [candidate(1, 'w'), candidate(2, 'x'), candidate(3, 'y'), candidate(4, 'z')];

describe('pairing strategies', () => {
  it('all pairs: every unordered pair once, n(n-1)/2 of them', () => {
    expect(allPairs(FOUR)).toEqual([
      [1, 2],
      [1, 3],
      [1, 4],
      [2, 3],
      [2, 4],
      [3, 4],
    ]);
  });

  it('best vs worst by mean log-prob per token when token counts are known, by the sum otherwise', () => {
    const withTokens = [candidate(1, 'a', -10, 10), candidate(2, 'b', -4, 2), candidate(3, 'c', -30, 60)];
    expect(bestWorstPair(withTokens)).toEqual([3, 2]);
    const sums = [candidate(1, 'a', -10), candidate(2, 'b', -4), candidate(3, 'c', -30)];
    expect(bestWorstPair(sums)).toEqual([2, 3]);
    expect(bestWorstPair([candidate(1, 'a', -1), candidate(2, 'b')])).toBeNull();
  });

  it('random pairs: the same seed gives the same distinct pairs, another seed another order', () => {
    const first = randomPairs(FOUR, 3, 42);
    expect(first).toHaveLength(3);
    expect(randomPairs(FOUR, 3, 42)).toEqual(first);
    expect(new Set(first.map((pair) => pair.join('-'))).size).toBe(3);
    expect(
      randomPairs(FOUR, 6, 7)
        .map((pair) => pair.join('-'))
        .sort(),
    ).toEqual(allPairs(FOUR).map((pair) => pair.join('-')));
  });

  it('drops candidates equal after normalisation or with word-set Jaccard at the threshold', () => {
    expect(wordJaccard('the cat sat down', 'the cat sat')).toBe(0.75);
    const candidates = [
      candidate(1, 'Paris is the capital.'),
      candidate(2, '  paris   IS the capital.'),
      candidate(3, 'the capital is Paris.'),
      candidate(4, 'Lyon.'),
    ];
    expect(dropNearDuplicates(candidates, 0.9).dropped.map((c) => c.id)).toEqual([2, 3]);
    expect(dropNearDuplicates(candidates, 1.01).dropped.map((c) => c.id)).toEqual([2]);
    expect(pairCandidates('all_pairs', candidates, { count: 0, seed: 0, similarityThreshold: 0.9 })).toEqual({
      pairs: [[1, 4]],
      dropped: [2, 3],
    });
  });

  it('uncertainty: the pairs with the smallest reward margin first, ties by ids, at most count', () => {
    const rewards = new Map([
      [1, 0.5],
      [2, -0.3],
      [3, 0.45],
      [4, 2],
    ]);
    const chosen = uncertaintyPairs(FOUR, rewards, 3);
    expect(chosen.map((p) => p.pair)).toEqual([
      [1, 3],
      [2, 3],
      [1, 2],
    ]);
    expect(chosen.map((p) => p.margin)).toEqual(
      [0.5 - 0.45, 0.45 + 0.3, 0.5 + 0.3].map((m) => expect.closeTo(m, 12)),
    );
    const tied = new Map([
      [1, 1],
      [2, 0],
      [3, 1],
      [4, 0],
    ]);
    expect(uncertaintyPairs(FOUR, tied, 2).map((p) => p.pair)).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  it('uncertainty: drops near-duplicates before choosing, and names a candidate without a reward', () => {
    const candidates = [
      candidate(1, 'Paris.'),
      candidate(2, 'paris.'),
      candidate(3, 'Lyon.'),
      candidate(4, 'Nice.'),
    ];
    const rewards = new Map([
      [1, 0],
      [2, 0],
      [3, 0.9],
      [4, 0.1],
    ]);
    expect(
      pairCandidates('uncertainty', candidates, { count: 1, seed: 0, similarityThreshold: 0.9, rewards }),
    ).toEqual({
      pairs: [[1, 4]],
      dropped: [2],
    });
    expect(() => uncertaintyPairs(candidates, new Map([[1, 0]]), 1)).toThrow(
      /candidate 2 has no finite reward/,
    );
    expect(() =>
      uncertaintyPairs(
        candidates.slice(0, 2),
        new Map([
          [1, 0],
          [2, Number.NaN],
        ]),
        1,
      ),
    ).toThrow(/candidate 2/);
  });
});
