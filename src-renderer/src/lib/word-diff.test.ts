import { describe, expect, it } from 'vitest';
import { changedShare, wordDiff, type Segment } from './word-diff';

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

describe('wordDiff on long responses', () => {
  const vocabulary = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran', 'far', 'away', 'quick', 'brown'];
  function words(seed: number, count: number, perLine = 12): string {
    let state = seed;
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      out.push(vocabulary[state % vocabulary.length] ?? '');
      out.push((i + 1) % perLine === 0 ? '\n' : ' ');
    }
    return out.join('');
  }
  const rebuilt = (segments: Segment[]) => segments.map((s) => s.text).join('');
  const changedText = (segments: Segment[]) =>
    segments
      .filter((s) => s.changed)
      .map((s) => s.text.trim())
      .join('|');

  it('finds one changed word in 20,000 exactly, whatever its place', () => {
    const left = words(1, 20_000);
    const at = left.indexOf(' ', left.length / 2);
    const right = `${left.slice(0, at)} zebra${left.slice(at)}`;
    const diff = wordDiff(left, right);
    expect(diff.approximate).toBe(false);
    expect(rebuilt(diff.left)).toBe(left);
    expect(rebuilt(diff.right)).toBe(right);
    expect(changedText(diff.left)).toBe('');
    expect(changedText(diff.right)).toBe('zebra');
  });

  it('diffs scattered line edits of a long response by lines, then by words, without approximating', () => {
    const left = words(2, 20_000);
    const lines = left.split('\n');
    for (const i of [10, 500, 1200]) lines[i] = `${lines[i]} extra`;
    const right = lines.join('\n');
    const diff = wordDiff(left, right);
    expect(diff.approximate).toBe(false);
    expect(rebuilt(diff.left)).toBe(left);
    expect(rebuilt(diff.right)).toBe(right);
    expect(changedText(diff.right)).toBe('extra|extra|extra');
  });

  it('gives up on two unrelated 20,000-word responses within its budget, marks them, and keeps the text', () => {
    const left = words(3, 20_000);
    const right = words(4, 20_000);
    const diff = wordDiff(left, right);
    expect(diff.approximate).toBe(true);
    expect(rebuilt(diff.left)).toBe(left);
    expect(rebuilt(diff.right)).toBe(right);
  });

  it('a small budget approximates what a large one diffs exactly', () => {
    const left = 'alpha beta gamma delta epsilon';
    const right = 'alpha zeta gamma eta epsilon';
    expect(wordDiff(left, right, 10).approximate).toBe(true);
    const exact = wordDiff(left, right);
    expect(exact.approximate).toBe(false);
    expect(changedText(exact.left)).toBe('beta|delta');
  });
});
