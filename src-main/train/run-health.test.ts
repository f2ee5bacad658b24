// Degenerate settings and runs: the settings warning names the flag and the usual range; a loss that stays
// at ln 2 is flagged after STUCK_AFTER_STEPS steps, adapter weights past ADAPTER_BLOWUP at once; each once.
import { describe, expect, it } from 'vitest';
import { ADAPTER_BLOWUP, maxAbs, RunHealth, STUCK_AFTER_STEPS, unusualSettings } from './run-health';
import { resolveTrainArgs } from './train-args';

describe('run health', () => {
  it('warns about settings nobody uses, naming the flag and the usual range; the defaults pass', () => {
    expect(unusualSettings(resolveTrainArgs({}))).toEqual([]);
    expect(unusualSettings(resolveTrainArgs({ lr: 1e3, beta: 1e6 }))).toEqual([
      '--lr 1000 is outside what DPO fine-tunes use (usually 1e-7 to 1e-4 (TRL: 1e-6; LoRA recipes up to 5e-4))',
      '--beta 1000000 is outside what DPO fine-tunes use (usually 0.01 to 0.5 (TRL and the DPO paper: 0.1))',
    ]);
  });

  it('flags a loss stuck at ln 2 after the set number of steps, and a blow-up, each once', () => {
    const health = new RunHealth();
    const warnings: string[] = [];
    for (let step = 1; step <= STUCK_AFTER_STEPS + 5; step++)
      warnings.push(...health.check({ step, loss: Math.fround(Math.LN2) }, 0.5));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the loss has stayed at ln 2 = 0\.6931 for 10 steps \(to step 10\)/);
    expect(health.check({ step: 16, loss: 0.5 }, ADAPTER_BLOWUP * 35)).toEqual([
      'adapter weights reached |w| = 3500 at step 16 (trained adapters stay under 100): the run is diverging; lower --lr or --beta',
    ]);
    expect(health.check({ step: 17, loss: 0.5 }, Number.NaN)).toEqual([]);
    // A loss that moves away from ln 2 restarts the count.
    const moving = new RunHealth();
    const flagged = Array.from({ length: 30 }, (_, i) =>
      moving.check({ step: i + 1, loss: i % 5 === 4 ? 0.6 : Math.LN2 }, 0.1),
    ).flat();
    expect(flagged).toEqual([]);
    expect(maxAbs([Float32Array.of(1, -7), Float32Array.of(3)])).toBe(7);
  });
});
