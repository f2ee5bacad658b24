// The pure part of dataset building: majority verdicts, dedupe of repeated pairs and the split by prompt.
import { describe, expect, it } from 'vitest';
import type { RatingSource } from '../../store/datasets-repo';
import { buildDataset, verdictOf } from './build-dataset';
import { assignSplits, evalTarget, promptUnit } from './split';

let nextId = 1;
function rating(
  pairId: number,
  annotatorId: number,
  choice: RatingSource['choice'],
  prompt = `prompt ${pairId}`,
) {
  return {
    comparisonId: nextId++,
    pairId,
    annotatorId,
    annotatorName: `a${annotatorId}`,
    choice,
    strength: null,
    tagsJson: '[]',
    createdAt: '2026-01-01T00:00:00.000Z',
    promptText: prompt,
    candidateAId: pairId * 10,
    candidateBId: pairId * 10 + 1,
  } satisfies RatingSource;
}

describe('verdictOf', () => {
  it('drops a tie at the top (a against b, or a against tie) as a conflict and a tie majority as no preference', () => {
    expect(verdictOf([rating(1, 1, 'a'), rating(1, 2, 'b')], undefined)).toEqual({ kind: 'conflicts' });
    expect(verdictOf([rating(1, 1, 'a'), rating(1, 2, 'tie')], undefined)).toEqual({ kind: 'conflicts' });
    expect(verdictOf([rating(1, 1, 'tie'), rating(1, 2, 'tie'), rating(1, 3, 'a')], undefined)).toEqual({
      kind: 'noPreference',
    });
    expect(verdictOf([rating(1, 1, 'skip')], undefined)).toEqual({ kind: 'noPreference' });
  });

  it('applies the minimum agreement only to pairs with several votes', () => {
    const votes = [rating(1, 1, 'b'), rating(1, 2, 'b'), rating(1, 3, 'a')];
    expect(verdictOf(votes, 0.7)).toEqual({ kind: 'lowAgreement' });
    expect(verdictOf(votes, 0.6)).toMatchObject({ kind: 'pair', winner: 'b' });
    expect(verdictOf([rating(2, 1, 'a')], 0.9)).toMatchObject({ kind: 'pair', winner: 'a' });
  });
});

describe('split', () => {
  const groups = (n: number, pairs = 1, rated = 0) =>
    Array.from({ length: n }, (_, i) => ({ promptText: `prompt number ${i}`, pairs, rated }));
  const evalCount = (sides: Map<string, string>) => [...sides.values()].filter((s) => s === 'eval').length;

  it('holds out the eval fraction of pairs, the same way for the same seed', () => {
    const many = groups(2000);
    expect(evalCount(assignSplits(many, 7, 0.2))).toBe(400);
    expect([...assignSplits(many, 7, 0.2)]).toEqual([...assignSplits(many, 7, 0.2)]);
    expect([...assignSplits(many, 8, 0.2)]).not.toEqual([...assignSplits(many, 7, 0.2)]);
    expect(evalCount(assignSplits(many, 7, 0))).toBe(0);
    expect(promptUnit('x', 1)).toBeLessThan(1);
  });

  it('rounds the eval share to pairs: at least one when asked, never all', () => {
    expect(evalTarget(23, 0.1)).toBe(2);
    expect(evalTarget(5, 0.1)).toBe(1);
    expect(evalTarget(1, 0.5)).toBe(0);
    expect(evalTarget(10, 0)).toBe(0);
  });

  it('never puts a prompt with more pairs than the eval share in eval (the 28-pairs-of-one-prompt case)', () => {
    const sides = assignSplits([{ promptText: 'rated prompt', pairs: 11, rated: 11 }, ...groups(12)], 3, 0.1);
    expect(sides.get('rated prompt')).toBe('train');
    expect(evalCount(sides)).toBe(2);
  });

  it('keeps a rated prompt in training when eval would otherwise hold every rated pair', () => {
    for (let seed = 0; seed < 50; seed++) {
      const sides = assignSplits(
        [
          { promptText: 'a', pairs: 1, rated: 1 },
          { promptText: 'b', pairs: 1, rated: 0 },
        ],
        seed,
        0.5,
      );
      expect(sides.get('a')).toBe('train');
      expect(sides.get('b')).toBe('eval');
    }
  });

  it('keeps all pairs of one prompt on the same side', () => {
    const ratings = Array.from({ length: 40 }, (_, i) => rating(i + 1, 1, 'a', `shared prompt ${i % 4}`));
    const { rows } = buildDataset(ratings, [], { filters: {}, evalFraction: 0.5, splitSeed: 1 });
    const sides = new Map<string, Set<string>>();
    rows.forEach((row, i) => {
      const prompt = `shared prompt ${i % 4}`;
      sides.set(prompt, (sides.get(prompt) ?? new Set()).add(row.split));
    });
    expect([...sides.values()].every((side) => side.size === 1)).toBe(true);
    expect(rows).toHaveLength(40);
  });
});
