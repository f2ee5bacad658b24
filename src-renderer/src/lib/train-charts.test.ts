// The Train view's chart data: train and eval lines on one step axis, live events merged in step order
// (a resumed step replaced, not doubled), and the time-left format.
import { describe, expect, it } from 'vitest';
import type { Run } from '../../../src-shared/train-schemas';
import {
  chartData,
  formatSeconds,
  mergeEvent,
  runFacts,
  tickLabels,
  TRAIN_CHARTS,
  type RunSeries,
} from './train-charts';

const rewards = TRAIN_CHARTS.find((c) => c.id === 'rewards')!;
const empty = (): RunSeries => ({ train: new Map(), eval: new Map() });
const event = (step: number, train: Record<string, number | null>, evalValues = {}) => ({
  runId: 1,
  step,
  train,
  eval: evalValues,
  progress: { step, totalSteps: 4, tokensPerSecond: 10, secondsLeft: 3 },
});

describe('train charts', () => {
  it('puts train and eval lines of a chart on one step axis with gaps as null', () => {
    let s = empty();
    s = mergeEvent(s, event(1, { 'rewards/chosen': 0.1, 'rewards/rejected': -0.1 }));
    s = mergeEvent(
      s,
      event(2, { 'rewards/chosen': 0.2, 'rewards/rejected': -0.3 }, { 'eval_rewards/chosen': 0.05 }),
    );
    expect(chartData(rewards, s)).toEqual({
      labels: ['chosen', 'rejected', 'eval chosen'],
      data: [
        [1, 2],
        [0.1, 0.2],
        [-0.1, -0.3],
        [null, 0.05],
      ],
    });
  });

  it('a step logged again (resume) replaces its value; an earlier step is inserted in order', () => {
    const before = mergeEvent(mergeEvent(empty(), event(1, { loss: 0.7 })), event(3, { loss: 0.5 }));
    const after = mergeEvent(mergeEvent(before, event(3, { loss: 0.4 })), event(2, { loss: 0.6 }));
    expect(after.train.get('loss')).toEqual({ steps: [1, 2, 3], values: [0.7, 0.6, 0.4] });
    expect(before.train.get('loss')).toEqual({ steps: [1, 3], values: [0.7, 0.5] }); // not mutated
  });

  it('formats the time left', () => {
    expect([formatSeconds(null), formatSeconds(12.4), formatSeconds(65), formatSeconds(3725)]).toEqual([
      '–',
      '12 s',
      '1:05',
      '1:02:05',
    ]);
  });
});

describe('runFacts', () => {
  it('says how many pairs trained and where the reference log-probs came from', () => {
    const run = (config: Record<string, unknown>) => ({ config }) as unknown as Run;
    const facts = { trainPairs: 7, evalPairs: 1, cachedReferencePairs: 8, scoredReferencePairs: 0 };
    expect(runFacts(run({ run: facts }))).toBe(
      '7 train / 1 eval pairs · reference log-probs: 8 cached, 0 computed',
    );
    expect(runFacts(run({}))).toBeNull();
  });

  it('says which micro-batch and recomputation the memory plan chose, and its estimate', () => {
    const run = (config: Record<string, unknown>) => ({ config }) as unknown as Run;
    const memory = {
      microBatch: 4,
      gradAccum: 2,
      recompute: true,
      headChunks: 3,
      estimatedGb: 5.14,
      budgetGb: 12,
    };
    expect(runFacts(run({ run: { trainPairs: 7, evalPairs: 1, memory } }))).toBe(
      '7 train / 1 eval pairs · micro-batch 4 × 2, recompute on, est. peak 5.1 of 12.0 GB',
    );
  });
});

describe('tickLabels', () => {
  it('writes tiny and huge values with exponents, others plainly, each tick distinct', () => {
    expect(tickLabels([0, 2e-5, 4e-5, 6e-5])).toEqual(['0', '2e-5', '4e-5', '6e-5']);
    expect(tickLabels([1.25e-4, 2.5e-4])).toEqual(['1.25e-4', '2.5e-4']);
    expect(tickLabels([0, 0.5, 1, 1.5])).toEqual(['0', '0.5', '1', '1.5']);
    expect(tickLabels([-0.25, 0, 0.25])).toEqual(['-0.25', '0', '0.25']);
    expect(tickLabels([0, 200000])).toEqual(['0', '2e5']);
  });
});
