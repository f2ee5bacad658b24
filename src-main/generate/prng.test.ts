// The PRNG against xoshiro128**'s reference outputs, its checkpoint/resume, and the candidate seed derivation.
import { describe, expect, it } from 'vitest';
import { Prng, deriveCandidateSeed } from './prng';

describe('Prng', () => {
  it('matches the reference xoshiro128** from state [1, 2, 3, 4]', () => {
    const rng = Prng.fromState([1, 2, 3, 4]);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('resumes the same stream from a stored state', () => {
    const rng = Prng.fromSeed(42);
    for (let i = 0; i < 10; i++) rng.nextFloat();
    const resumed = Prng.fromState(rng.state);
    const ahead = Array.from({ length: 5 }, () => rng.nextFloat());
    expect(Array.from({ length: 5 }, () => resumed.nextFloat())).toEqual(ahead);
  });

  it('the same seed gives the same numbers; seeds past 2^32 are distinct', () => {
    const draw = (seed: number) => {
      const rng = Prng.fromSeed(seed);
      return Array.from({ length: 4 }, () => rng.nextUint32());
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
    expect(Prng.fromSeed(2 ** 32).nextUint32()).not.toBe(Prng.fromSeed(0).nextUint32());
  });

  it('nextFloat is uniform on [0, 1): mean and quartiles over 40k draws', () => {
    const rng = Prng.fromSeed(9);
    const draws = Array.from({ length: 40_000 }, () => rng.nextFloat());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(draws.filter((x) => x < 0.25).length / draws.length - 0.25)).toBeLessThan(0.01);
  });

  it('rejects bad seeds and states', () => {
    expect(() => Prng.fromSeed(-1)).toThrow(/non-negative safe integer/);
    expect(() => Prng.fromSeed(1.5)).toThrow(/non-negative safe integer/);
    expect(() => Prng.fromState([0, 0, 0, 0])).toThrow(/all zeros/);
    expect(() => Prng.fromState([1, 2, 3, 2 ** 32])).toThrow(/uint32/);
  });
});

describe('deriveCandidateSeed', () => {
  it('is deterministic and distinct over a 100 x 100 grid of prompts and candidates', () => {
    const seeds = new Set<number>();
    for (let p = 0; p < 100; p++) for (let c = 0; c < 100; c++) seeds.add(deriveCandidateSeed(1234, p, c));
    expect(seeds.size).toBe(10_000);
    expect(deriveCandidateSeed(1234, 3, 5)).toBe(deriveCandidateSeed(1234, 3, 5));
    expect(deriveCandidateSeed(1234, 3, 5)).not.toBe(deriveCandidateSeed(1235, 3, 5));
    expect(deriveCandidateSeed(1234, 3, 5)).not.toBe(deriveCandidateSeed(1234, 5, 3));
  });

  it('returns a uint32', () => {
    const seed = deriveCandidateSeed(2 ** 40 + 7, 0, 0);
    expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
  });
});
