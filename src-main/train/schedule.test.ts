// LR schedules against torch.optim.lr_scheduler.LambdaLR with transformers' lambdas (fixtures/schedules.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { learningRate, SCHEDULE_KINDS, warmupSteps, type ScheduleKind } from './schedule';

interface Case {
  kind: ScheduleKind;
  total: number;
  warmupRatio: number;
  warmup: number;
  lr: number;
  lrs: number[];
}

const { cases } = JSON.parse(readFileSync(new URL('./fixtures/schedules.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

describe('learning-rate schedules', () => {
  it('the fixtures cover every kind', () => {
    expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(SCHEDULE_KINDS));
  });

  for (const c of cases) {
    it(`${c.kind}, ${c.total} steps, warmup ratio ${c.warmupRatio}: every step's lr matches LambdaLR`, () => {
      const config = { kind: c.kind, lr: c.lr, totalSteps: c.total, warmupRatio: c.warmupRatio };
      expect(warmupSteps(config)).toBe(c.warmup);
      c.lrs.forEach((expected, step) => {
        expect(Math.abs(learningRate(config, step) - expected), `step ${step}`).toBeLessThanOrEqual(
          1e-15 * Math.max(1, expected),
        );
      });
    });
  }

  it('warmup is ceil(ratio * total) unless warmupSteps is given; cosine ends near 0 and linear decays to 0', () => {
    expect(warmupSteps({ totalSteps: 37, warmupRatio: 0.1 })).toBe(4);
    expect(warmupSteps({ totalSteps: 37, warmupRatio: 0.1, warmupSteps: 2 })).toBe(2);
    const cosine = { kind: 'cosine' as const, lr: 1, totalSteps: 10, warmupSteps: 2 };
    expect(learningRate(cosine, 1)).toBe(0.5);
    expect(learningRate(cosine, 2)).toBe(1);
    expect(learningRate(cosine, 6)).toBeCloseTo(0.5, 15);
    expect(learningRate({ ...cosine, kind: 'linear' }, 10)).toBe(0);
    expect(() => warmupSteps({ totalSteps: 10, warmupRatio: 1.5 })).toThrow(
      /warmupRatio must be in \[0, 1\]/,
    );
  });
});
