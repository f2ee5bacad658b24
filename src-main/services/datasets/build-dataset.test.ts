// The pure part of dataset building: majority verdicts, dedupe of repeated pairs and the split by prompt.
import { describe, expect, it } from 'vitest';
import type { RatingSource } from '../../store/datasets-repo';
import { buildDataset, verdictOf } from './build-dataset';
import { splitOf } from './split';

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
  it('puts about the eval fraction of prompts on eval, the same way for the same seed', () => {
    const prompts = Array.from({ length: 2000 }, (_, i) => `prompt number ${i}`);
    const evalShare = prompts.filter((p) => splitOf(p, 7, 0.2) === 'eval').length / prompts.length;
    expect(evalShare).toBeGreaterThan(0.17);
    expect(evalShare).toBeLessThan(0.23);
    expect(prompts.map((p) => splitOf(p, 7, 0.2))).toEqual(prompts.map((p) => splitOf(p, 7, 0.2)));
    expect(prompts.map((p) => splitOf(p, 8, 0.2))).not.toEqual(prompts.map((p) => splitOf(p, 7, 0.2)));
    expect(prompts.every((p) => splitOf(p, 7, 0) === 'train')).toBe(true);
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
