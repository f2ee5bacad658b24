import { describe, expect, it } from 'vitest';
import { wilsonInterval, winRate } from './win-rate';

describe('Wilson interval', () => {
  it('matches hand-computed values', () => {
    // p = 0.7, n = 10: center (0.7 + z²/20) / (1 + z²/10), margin z·sqrt(0.021 + z²/400) / (1 + z²/10).
    const { low, high } = wilsonInterval(7, 10);
    expect(low).toBeCloseTo(0.396774, 5);
    expect(high).toBeCloseTo(0.892209, 5);
    // All successes: the upper bound is 1 and the lower bound n / (n + z²).
    const all = wilsonInterval(20, 20);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(20 / (20 + 1.959963984540054 ** 2), 10);
  });

  it('is the whole range with no votes', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });
});

describe('winRate', () => {
  it('counts ties and both-bad as half a win', () => {
    const result = winRate({ wins: 5, losses: 3, ties: 1, bothBad: 1 });
    expect(result.n).toBe(10);
    expect(result.rate).toBeCloseTo(0.6, 12);
    expect(result.low).toBeLessThan(0.6);
    expect(result.high).toBeGreaterThan(0.6);
  });

  it('is 0.5 for an even split and narrows as votes grow', () => {
    const small = winRate({ wins: 5, losses: 5, ties: 0, bothBad: 0 });
    const large = winRate({ wins: 500, losses: 500, ties: 0, bothBad: 0 });
    expect([small.rate, large.rate]).toEqual([0.5, 0.5]);
    expect(large.high - large.low).toBeLessThan(small.high - small.low);
    expect(large.low).toBeCloseTo(0.469, 3);
  });

  it('refuses counts that are not counts', () => {
    expect(() => winRate({ wins: -1, losses: 0, ties: 0, bothBad: 0 })).toThrow(
      'winRate: wins must be a count, got -1',
    );
  });
});
