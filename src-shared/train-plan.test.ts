// The plan line is the trainer's arithmetic: epochs x ceil(pairs / batch), or max steps when set.
import { describe, expect, it } from 'vitest';
import { stepsPlan } from './train-plan';

describe('stepsPlan', () => {
  it('follows batch size and epochs, and max steps over both', () => {
    expect(stepsPlan(23, { batchSize: 4, epochs: 5, maxSteps: null })).toEqual({
      stepsPerEpoch: 6,
      totalSteps: 30,
      line: '5 epochs of 6 steps: 30 steps',
    });
    expect(stepsPlan(23, { batchSize: 1, epochs: 5, maxSteps: null }).line).toBe(
      '5 epochs of 23 steps: 115 steps',
    );
    expect(stepsPlan(23, { batchSize: 4, epochs: 1, maxSteps: null }).line).toBe(
      '1 epoch of 6 steps: 6 steps',
    );
    expect(stepsPlan(23, { batchSize: 4, epochs: 5, maxSteps: 7 })).toMatchObject({
      totalSteps: 7,
      line: 'max steps 7 (5 epochs of 6 steps would be 30)',
    });
  });
});
