// Learning-rate schedules as transformers computes them (get_*_schedule_with_warmup lambdas under
// torch.optim.lr_scheduler.LambdaLR), and TrainingArguments' warmup steps from a ratio.

export type ScheduleKind = 'constant' | 'constant_with_warmup' | 'linear' | 'cosine';

export const SCHEDULE_KINDS: readonly ScheduleKind[] = [
  'constant',
  'constant_with_warmup',
  'linear',
  'cosine',
];

export interface ScheduleConfig {
  kind: ScheduleKind;
  /** The peak learning rate (the optimizer's lr). */
  lr: number;
  /** Number of optimizer steps in the run (num_training_steps). */
  totalSteps: number;
  /** Warmup steps; when absent, ceil(warmupRatio * totalSteps) as TrainingArguments.get_warmup_steps. */
  warmupSteps?: number;
  warmupRatio?: number;
  /** Cosine only: number of half-waves (transformers' default 0.5: one decay from lr to 0). */
  numCycles?: number;
}

/** TrainingArguments.get_warmup_steps: warmup_steps if > 0, else ceil(total * warmup_ratio). */
export function warmupSteps(
  config: Pick<ScheduleConfig, 'totalSteps' | 'warmupSteps' | 'warmupRatio'>,
): number {
  if (config.warmupSteps !== undefined && config.warmupSteps > 0) return config.warmupSteps;
  const ratio = config.warmupRatio ?? 0;
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`schedule: warmupRatio must be in [0, 1], got ${ratio}`);
  return Math.ceil(config.totalSteps * ratio);
}

/** The multiplier of the base lr at optimizer step `step` (0-based), as transformers' lr_lambda. */
export function lrLambda(config: ScheduleConfig, step: number): number {
  const warmup = warmupSteps(config);
  const total = config.totalSteps;
  if (config.kind === 'constant') return 1;
  if (step < warmup) return step / Math.max(1, warmup);
  if (config.kind === 'constant_with_warmup') return 1;
  const progressDen = Math.max(1, total - warmup);
  if (config.kind === 'linear') return Math.max(0, (total - step) / progressDen);
  const progress = (step - warmup) / progressDen;
  const cycles = config.numCycles ?? 0.5;
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
}

/** The lr used by optimizer step `step` (0-based): LambdaLR's lr before its step-th scheduler.step(). */
export function learningRate(config: ScheduleConfig, step: number): number {
  if (!(config.totalSteps > 0)) throw new Error(`schedule: totalSteps must be > 0, got ${config.totalSteps}`);
  return config.lr * lrLambda(config, step);
}
