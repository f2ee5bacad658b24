// Degenerate runs, said out loud: settings far outside what DPO fine-tunes use (warned before step 1, with
// the usual range), and during a run a loss that has not left ln 2 (chosen and rejected scored alike: often
// identical pairs or a learning rate too small to move) or adapter weights that blow up (a learning rate or
// beta too large). Each warning is given once per run.
import type { TrainArgs } from './train-args';

interface SettingRange {
  key: keyof TrainArgs;
  flag: string;
  /** Outside [low, high] nobody fine-tunes on purpose. */
  low: number;
  high: number;
  usual: string;
}

/** Wide bounds: TRL's docs and examples, the DPO paper and published recipes sit well inside them. */
export const SETTING_RANGES: readonly SettingRange[] = [
  {
    key: 'lr',
    flag: '--lr',
    low: 1e-8,
    high: 1e-2,
    usual: '1e-7 to 1e-4 (TRL: 1e-6; LoRA recipes up to 5e-4)',
  },
  { key: 'beta', flag: '--beta', low: 1e-3, high: 10, usual: '0.01 to 0.5 (TRL and the DPO paper: 0.1)' },
  { key: 'loraR', flag: '--lora-r', low: 1, high: 512, usual: '4 to 64' },
  { key: 'loraAlpha', flag: '--lora-alpha', low: 0.5, high: 1024, usual: 'r to 2r' },
  { key: 'weightDecay', flag: '--weight-decay', low: 0, high: 1, usual: '0 to 0.1' },
  {
    key: 'maxGradNorm',
    flag: '--max-grad-norm',
    low: 0,
    high: 100,
    usual: '0.3 to 10 (0 turns clipping off)',
  },
  { key: 'epochs', flag: '--epochs', low: 1, high: 50, usual: '1 to 5' },
];

/** One line per setting outside its range, naming the flag, the value and the usual range. */
export function unusualSettings(args: TrainArgs): string[] {
  const warnings: string[] = [];
  for (const { key, flag, low, high, usual } of SETTING_RANGES) {
    const value = args[key];
    if (typeof value !== 'number' || (value >= low && value <= high)) continue;
    if (key === 'epochs' && args.maxSteps !== undefined) continue;
    warnings.push(`${flag} ${value} is outside what DPO fine-tunes use (usually ${usual})`);
  }
  return warnings;
}

/** Steps after which a loss still at ln 2 is flagged. */
export const STUCK_AFTER_STEPS = 10;
/** |loss - ln 2| below this counts as not moved (the float32 loss of identical sides is ln 2 exactly). */
export const STUCK_TOLERANCE = 1e-4;
/** LoRA weights start near 1/sqrt(in) (A) and 0 (B); trained adapters stay well under 10. */
export const ADAPTER_BLOWUP = 100;

/** Watches the logged steps of one run; `check` returns each new warning once. */
export class RunHealth {
  #stuckSteps = 0;
  #warnedStuck = false;
  #warnedBlowup = false;

  check(row: { step: number; loss: number }, adapterMaxAbs: number): string[] {
    const warnings: string[] = [];
    this.#stuckSteps = Math.abs(row.loss - Math.LN2) < STUCK_TOLERANCE ? this.#stuckSteps + 1 : 0;
    if (!this.#warnedStuck && this.#stuckSteps >= STUCK_AFTER_STEPS) {
      this.#warnedStuck = true;
      warnings.push(
        `the loss has stayed at ln 2 = 0.6931 for ${this.#stuckSteps} steps (to step ${row.step}): the model ` +
          'scores chosen and rejected alike; check that the pairs differ, or raise --lr',
      );
    }
    if (!this.#warnedBlowup && !(adapterMaxAbs <= ADAPTER_BLOWUP)) {
      this.#warnedBlowup = true;
      warnings.push(
        `adapter weights reached |w| = ${adapterMaxAbs.toPrecision(4)} at step ${row.step} (trained adapters ` +
          `stay under ${ADAPTER_BLOWUP}): the run is diverging; lower --lr or --beta`,
      );
    }
    return warnings;
  }
}

/** The largest |value| over every tensor of the adapter. */
export function maxAbs(tensors: Iterable<Float32Array>): number {
  let worst = 0;
  for (const data of tensors)
    for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i]!));
  return worst;
}
