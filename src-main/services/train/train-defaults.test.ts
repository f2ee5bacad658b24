// One-click settings: max length from the longest pair (rounded to 16, within the model), the batch from
// the pair count, the micro-batch from the device's token budget, epochs that give enough steps.
import { describe, expect, it } from 'vitest';
import { resolveTrainArgs } from '../../train/index';
import { toTrainArgs } from './run-settings';
import { defaultTrainSettings } from './train-defaults';

const lengths = (n: number, longest: number) => Array.from({ length: n }, (_, i) => (i === 0 ? longest : 40));

describe('defaultTrainSettings', () => {
  it('a big dataset on the CPU: batch 8 split into micro-batches that fit, one epoch past 1000 steps', () => {
    const { settings, notes } = defaultTrainSettings(
      { trainPairs: 10_000, evalPairs: 500, pairTokens: lengths(2000, 700) },
      { maxPositions: 2048, parameterCount: 135e6 },
      'cpu',
    );
    expect(settings).toMatchObject({ maxLength: 704, batchSize: 8, gradAccum: 2, epochs: 1 });
    expect(notes[0]).toBe('max length 704: the longest pair has 700 tokens (p95 40)');
    expect(notes[1]).toMatch(/run as 2 micro-batches of 4 to fit CPU memory/);
    expect(() => toTrainArgs(settings)).not.toThrow(); // every default is a valid setting
  });

  it('the same on CUDA runs the batch in one piece', () => {
    const { settings } = defaultTrainSettings(
      { trainPairs: 10_000, evalPairs: 0, pairTokens: lengths(100, 700) },
      { maxPositions: 2048, parameterCount: 135e6 },
      'cuda',
    );
    expect([settings.batchSize, settings.gradAccum]).toEqual([8, 1]);
  });

  it('a small dataset: smaller batches and more epochs for about 30 steps; the model caps the length', () => {
    const { settings, notes } = defaultTrainSettings(
      { trainPairs: 12, evalPairs: 2, pairTokens: lengths(14, 300) },
      { maxPositions: 128, parameterCount: null },
      'cpu',
    );
    expect(settings).toMatchObject({ maxLength: 128, batchSize: 2, gradAccum: 1, epochs: 5 });
    expect(notes[0]).toMatch(/; 1 longer pairs lose the start of their prompt \(model limit 128\)$/);
    expect(notes[2]).toBe('5 epochs of 6 steps: 30 steps');
    expect(settings.evalEvery).toBe(3);
    expect(resolveTrainArgs(toTrainArgs(settings)).maxLength).toBe(128);
  });
});
