import { describe, expect, it } from 'vitest';
import { changedShare, wordDiff } from './word-diff';

describe('wordDiff', () => {
  it('marks the words only one side has and keeps the rest shared', () => {
    const diff = wordDiff('The capital is Paris.', 'The capital is Lyon.');
    expect(diff.left).toEqual([
      { text: 'The capital is ', changed: false },
      { text: 'Paris', changed: true },
      { text: '.', changed: false },
    ]);
    expect(diff.right).toEqual([
      { text: 'The capital is ', changed: false },
      { text: 'Lyon', changed: true },
      { text: '.', changed: false },
    ]);
  });

  it('rebuilds each side exactly, whitespace and newlines included', () => {
    const left = 'a  b\nc d';
    const right = 'a b\n\nc e f';
    const diff = wordDiff(left, right);
    expect(diff.left.map((s) => s.text).join('')).toBe(left);
    expect(diff.right.map((s) => s.text).join('')).toBe(right);
  });

  it('measures how much differs', () => {
    expect(changedShare(wordDiff('same words here', 'same words here'))).toBe(0);
    expect(changedShare(wordDiff('one', 'two'))).toBe(1);
    expect(changedShare(wordDiff('a b c', 'a b d'))).toBeCloseTo(2 / 6);
  });
});
