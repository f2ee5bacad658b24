// The sampler against a plain re-statement of transformers' warpers (full sorts, no pruning): kept sets,
// greedy, seeds, and the empirical distribution of 20k draws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng } from './prng';
import {
  argmax,
  kthLargest,
  logSoftmaxAt,
  sampleToken,
  sampleWholeVocabulary,
  warpedDistribution,
  type WarperSettings,
} from './sampling';

/** TemperatureLogitsWarper -> TopKLogitsWarper -> TopPLogitsWarper, as transformers writes them. */
function referenceKept(logits: readonly number[], { temperature, topK, topP }: WarperSettings): number[] {
  const scores = logits.map((x) => x / temperature);
  let alive = scores.map((_, i) => i);
  if (topK > 0 && topK < scores.length) {
    const kth = [...scores].sort((a, b) => b - a)[topK - 1] as number;
    alive = alive.filter((i) => (scores[i] as number) >= kth);
  }
  if (topP < 1) {
    const max = Math.max(...alive.map((i) => scores[i] as number));
    const weight = (i: number) => Math.exp((scores[i] as number) - max);
    const total = alive.reduce((sum, i) => sum + weight(i), 0);
    const ascending = [...alive].sort((a, b) => (scores[a] as number) - (scores[b] as number) || b - a);
    let cumulative = 0;
    const removed = new Set<number>();
    for (const i of ascending.slice(0, -1)) {
      cumulative += weight(i) / total;
      if (cumulative <= 1 - topP) removed.add(i);
    }
    alive = alive.filter((i) => !removed.has(i));
  }
  return alive;
}

function referenceProbs(logits: readonly number[], settings: WarperSettings): Map<number, number> {
  const kept = referenceKept(logits, settings);
  const weights = kept.map((i) => Math.exp((logits[i] as number) / settings.temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  return new Map(kept.map((id, j) => [id, (weights[j] as number) / total]));
}

const logitsArb = fc.oneof(
  fc.array(
    fc.integer({ min: -40, max: 40 }).map((x) => x / 4),
    { minLength: 1, maxLength: 40 },
  ),
  fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: 1, maxLength: 40 }),
);
const settingsArb = fc.record({
  temperature: fc.double({ min: 0.05, max: 5, noNaN: true }),
  topK: fc.integer({ min: 0, max: 45 }),
  topP: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 1, noNaN: true })),
});

describe('helpers', () => {
  it('argmax takes the lowest id among equal maxima and rejects NaN', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([-Infinity, -5, -Infinity])).toBe(1);
    expect(() => argmax([0, NaN])).toThrow(/NaN at token 1/);
    expect(() => argmax([-Infinity])).toThrow(/no finite value/);
  });

  it('logSoftmaxAt matches log(e^x / sum e^x)', () => {
    expect(logSoftmaxAt([1, 2, 3], 0)).toBeCloseTo(-2.40760596, 8);
    expect(logSoftmaxAt([1000, 1000], 1)).toBeCloseTo(Math.log(0.5), 12);
  });

  it('kthLargest counts repeated values', () => {
    expect(kthLargest([5, 1, 4, 4, 2], 1)).toBe(5);
    expect(kthLargest([5, 1, 4, 4, 2], 3)).toBe(4);
    expect(kthLargest([5, 1, 4, 4, 2], 5)).toBe(1);
  });
});

describe('warpedDistribution', () => {
  const probs = [0.5, 0.3, 0.15, 0.05];
  const logits = probs.map(Math.log);

  it('top-p keeps the smallest top set reaching topP, at least the best token', () => {
    expect([...warpedDistribution(logits, { temperature: 1, topK: 0, topP: 0.75 }).tokenIds]).toEqual([0, 1]);
    const nine = warpedDistribution(logits, { temperature: 1, topK: 0, topP: 0.9 });
    expect([...nine.tokenIds]).toEqual([0, 1, 2]);
    expect(nine.probs[0]).toBeCloseTo(0.5 / 0.95, 12);
    expect([...warpedDistribution(logits, { temperature: 1, topK: 0, topP: 0.4 }).tokenIds]).toEqual([0]);
  });

  it('top-k keeps every token tied with the k-th score, as transformers does', () => {
    const d = warpedDistribution([3, 1, 1, 0], { temperature: 1, topK: 2, topP: 1 });
    expect([...d.tokenIds]).toEqual([0, 1, 2]);
    const z = Math.exp(3) + 2 * Math.exp(1);
    expect([...d.probs].map((p) => p.toFixed(10))).toEqual(
      [Math.exp(3) / z, Math.exp(1) / z, Math.exp(1) / z].map((p) => p.toFixed(10)),
    );
  });

  it('a tie at the nucleus edge goes to the lowest ids', () => {
    const d = warpedDistribution([0, 0, 0, 0], { temperature: 1, topK: 0, topP: 0.3 });
    expect([...d.tokenIds]).toEqual([0, 1]);
    const split = warpedDistribution([0.2, 0.4, 0.2, 0.2].map(Math.log), {
      temperature: 1,
      topK: 0,
      topP: 0.7,
    });
    expect([...split.tokenIds]).toEqual([0, 1, 2]);
    expect([...split.probs].map((p) => p.toFixed(12))).toEqual([
      '0.250000000000',
      '0.500000000000',
      '0.250000000000',
    ]);
  });

  it('a temperature so small that the scores overflow is an error, not NaN', () => {
    expect(() => warpedDistribution([1, 2], { temperature: 1e-320, topK: 0, topP: 1 })).toThrow(/overflows/);
  });

  it('temperature scales logits before the filters', () => {
    const d = warpedDistribution([2, 0], { temperature: 2, topK: 0, topP: 1 });
    expect(d.probs[0]).toBeCloseTo(Math.exp(1) / (Math.exp(1) + 1), 12);
  });

  it('keeps the same set and probabilities as the reference warpers (property)', () => {
    fc.assert(
      fc.property(logitsArb, settingsArb, (row, settings) => {
        const d = warpedDistribution(row, settings);
        const ids = [...d.tokenIds];
        // At the exact top-p boundary float rounding may differ; the set must sit between p -/+ 1e-9.
        const narrow = referenceKept(row, { ...settings, topP: Math.max(1e-6, settings.topP - 1e-9) });
        const wide = new Set(referenceKept(row, { ...settings, topP: Math.min(1, settings.topP + 1e-9) }));
        expect(narrow.every((id) => ids.includes(id))).toBe(true);
        expect(ids.every((id) => wide.has(id))).toBe(true);
        expect([...d.probs].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
        const expected = referenceProbs(row, { ...settings, topP: 1, topK: 0 });
        const ratio = (d.probs[0] as number) / (expected.get(ids[0] as number) as number);
        ids.forEach((id, j) =>
          expect((d.probs[j] as number) / (expected.get(id) as number)).toBeCloseTo(ratio, 6),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('sampleToken', () => {
  it('the sampled token is always inside the top-k / nucleus set (property)', () => {
    fc.assert(
      fc.property(logitsArb, settingsArb, fc.nat(), (row, settings, seed) => {
        const wide = referenceKept(row, { ...settings, topP: Math.min(1, settings.topP + 1e-9) });
        const rng = Prng.fromSeed(seed);
        for (let i = 0; i < 5; i++) expect(wide).toContain(sampleToken(row, settings, rng).tokenId);
      }),
      { numRuns: 300 },
    );
  });

  it('top_k = 1 is argmax for any temperature, with warpedLogp 0 (property)', () => {
    fc.assert(
      fc.property(
        logitsArb,
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.nat(),
        (row, temperature, seed) => {
          const sampled = sampleToken(row, { temperature, topK: 1, topP: 0.5 }, Prng.fromSeed(seed));
          const best = row.indexOf(Math.max(...row));
          expect(sampled.tokenId).toBe(best);
          expect(sampled.warpedLogp).toBe(0);
        },
      ),
    );
  });

  it('logp is the unwarped log_softmax; warpedLogp is the log of the warped probability', () => {
    const row = [2, 1, 0.5, -1];
    const settings = { temperature: 0.5, topK: 3, topP: 1 };
    const sampled = sampleToken(row, settings, Prng.fromSeed(7));
    expect(sampled.logp).toBeCloseTo(logSoftmaxAt(row, sampled.tokenId), 12);
    const warped = referenceProbs(row, settings).get(sampled.tokenId) as number;
    expect(sampled.warpedLogp).toBeCloseTo(Math.log(warped), 12);
  });

  it('the same seed gives the same tokens (property)', () => {
    fc.assert(
      fc.property(logitsArb, settingsArb, fc.nat(), (row, settings, seed) => {
        const draw = (rng: Prng) => Array.from({ length: 8 }, () => sampleToken(row, settings, rng).tokenId);
        expect(draw(Prng.fromSeed(seed))).toEqual(draw(Prng.fromSeed(seed)));
      }),
    );
  });

  it('20k draws match the warped probabilities', () => {
    const row = [2.0, 1.5, 1.0, 0.2, -1.0, 0.8, 1.4];
    const settings = { temperature: 0.7, topK: 5, topP: 0.9 };
    const expected = referenceProbs(row, settings);
    expect([...expected.keys()]).toEqual([0, 1, 2, 6]);
    const draws = 20_000;
    const counts = new Map<number, number>();
    const rng = Prng.fromSeed(2024);
    for (let i = 0; i < draws; i++) {
      const { tokenId } = sampleToken(row, settings, rng);
      counts.set(tokenId, (counts.get(tokenId) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0, 1, 2, 6]);
    for (const [id, p] of expected) {
      const sigma = Math.sqrt((p * (1 - p)) / draws);
      expect(Math.abs((counts.get(id) ?? 0) / draws - p)).toBeLessThan(4.5 * sigma);
    }
  });

  it('with top-k, drawing over the surviving tokens alone gives exactly the whole-vocabulary draw (property)', () => {
    fc.assert(
      fc.property(
        logitsArb,
        settingsArb,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (logits, settings, u) => {
          fc.pre(settings.topK > 1 && settings.topK < logits.length);
          const pruned = sampleToken(logits, settings, { nextFloat: () => u });
          expect(pruned).toEqual(sampleWholeVocabulary(logits, settings, u));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects settings outside their ranges', () => {
    const rng = Prng.fromSeed(1);
    expect(() => sampleToken([0, 1], { temperature: -1, topK: 0, topP: 1 }, rng)).toThrow(/temperature/);
    expect(() => sampleToken([0, 1], { temperature: 1, topK: 1.5, topP: 1 }, rng)).toThrow(/topK/);
    expect(() => sampleToken([0, 1], { temperature: 1, topK: 0, topP: 0 }, rng)).toThrow(/topP/);
  });
});
