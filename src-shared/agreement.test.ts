// Agreement against textbook values: Cohen's kappa (Wikipedia's 50-item example, kappa = 0.4) and
// Krippendorff's alpha (Krippendorff 2011, nominal example with missing values, alpha = 0.743).
import { describe, expect, it } from 'vitest';
import { cohensKappa, krippendorffAlphaNominal } from './agreement';

function repeat(pairs: Array<[string, string, number]>): [string[], string[]] {
  const first: string[] = [];
  const second: string[] = [];
  for (const [x, y, times] of pairs) {
    for (let i = 0; i < times; i += 1) {
      first.push(x);
      second.push(y);
    }
  }
  return [first, second];
}

describe("Cohen's kappa", () => {
  it('is 0.4 for 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no (p_o = 0.7, p_e = 0.5)', () => {
    const [a, b] = repeat([
      ['yes', 'yes', 20],
      ['yes', 'no', 5],
      ['no', 'yes', 10],
      ['no', 'no', 15],
    ]);
    expect(cohensKappa(a, b)).toBeCloseTo(0.4, 12);
  });

  it('is 1 for full agreement over several categories, and -1 for systematic swapping of two', () => {
    expect(cohensKappa(['a', 'b', 'tie', 'a'], ['a', 'b', 'tie', 'a'])).toBe(1);
    expect(cohensKappa(['a', 'b', 'a', 'b'], ['b', 'a', 'b', 'a'])).toBe(-1);
  });

  it('is undefined (null) without items or when both always give the same single label', () => {
    expect(cohensKappa([], [])).toBeNull();
    expect(cohensKappa(['a', 'a'], ['a', 'a'])).toBeNull();
  });
});

describe("Krippendorff's alpha (nominal)", () => {
  it('is 0.743 on the four-observer, twelve-unit example with missing values', () => {
    // Units 1..12, values of observers A-D ('.' missing); unit 12 has one value and is not pairable.
    const table = [
      '1 2 3 3 2 1 4 1 2 . . .',
      '1 2 3 3 2 2 4 1 2 5 . 3',
      '. 3 3 3 2 3 4 2 2 5 1 .',
      '1 2 3 3 2 4 4 1 2 5 1 .',
    ].map((line) => line.split(' '));
    const units = Array.from({ length: 12 }, (_, u) =>
      table.map((row) => row[u] as string).filter((value) => value !== '.'),
    );
    expect(krippendorffAlphaNominal(units)).toBeCloseTo(0.743, 3);
  });

  it('is 0.095 on the two-observer binary example (Krippendorff 2011, section A)', () => {
    const a = '0 1 0 0 0 0 0 0 1 0'.split(' ');
    const b = '1 1 1 0 0 1 0 0 0 0'.split(' ');
    expect(krippendorffAlphaNominal(a.map((value, i) => [value, b[i] as string]))).toBeCloseTo(0.095, 3);
  });

  it('is 1 for perfect agreement and null when every value is the same', () => {
    expect(
      krippendorffAlphaNominal([
        ['a', 'a'],
        ['b', 'b', 'b'],
        ['tie', 'tie'],
      ]),
    ).toBe(1);
    expect(
      krippendorffAlphaNominal([
        ['a', 'a'],
        ['a', 'a'],
      ]),
    ).toBeNull();
  });
});
