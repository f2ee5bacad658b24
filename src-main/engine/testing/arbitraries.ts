// Test-only fast-check arbitraries: small shapes, broadcast-compatible shape pairs and PRNG seeds.
import fc from 'fast-check';

export const seedArb = fc.integer({ min: 1, max: 0x7fffffff });

export function shapeArb(minRank = 0, maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** A shape and a partner that broadcasts with it: some dims set to 1, some leading dims dropped. */
export function broadcastPairArb(maxRank = 3): fc.Arbitrary<[number[], number[]]> {
  return fc
    .tuple(
      shapeArb(0, maxRank),
      fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      fc.nat(3),
      fc.boolean(),
    )
    .map(([shape, ones, drop, swap]) => {
      const partner = shape.map((d, i) => (ones[i] ? 1 : d)).slice(Math.min(drop, shape.length));
      return swap ? [partner, shape] : [shape, partner];
    });
}
