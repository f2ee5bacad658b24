// The resolved settings of a DPO run with TRL's defaults (DPOConfig / TrainingArguments), checked in one
// place; every error names the command-line flag (`--batch-size`) the setting comes from.
import type { DeviceRequest } from '../runtime/index';
import { DPO_LOSS_TYPES, type DpoLossType } from './losses';
import { TRAIN_METHODS, type TrainMethod } from './objectives';
import { SCHEDULE_KINDS, type ScheduleKind } from './schedule';

export interface TrainArgs {
  /** The objective (objectives.ts): dpo, kto (unpaired labels) or orpo (no reference model). */
  method: TrainMethod;
  /** DPO's loss type (used by dpo only). */
  loss: DpoLossType;
  beta: number;
  labelSmoothing: number;
  /** Weight of the SFT term (TRL's rpo_alpha): + w * token-mean NLL of the chosen completions; 0 = off. */
  sftWeight: number;
  /** Weight each pair's loss by its row weight (the rating strength); off: every pair counts the same. */
  pairWeights: boolean;
  /** KTO: KTOConfig.desirable_weight and undesirable_weight (1 each). */
  desirableWeight: number;
  undesirableWeight: number;
  loraR: number;
  loraAlpha: number;
  /** PEFT target_modules; undefined: every attention and MLP projection of the model. */
  loraTargets: string[] | undefined;
  optimizer: 'adamw' | 'sgd';
  lr: number;
  weightDecay: number;
  /** Global-norm clipping; 0 turns it off. */
  maxGradNorm: number;
  /** Pairs per optimizer step (the loss is their mean). */
  batchSize: number;
  /** Micro-batches per optimizer step; batchSize / gradAccum pairs per forward/backward run. */
  gradAccum: number;
  epochs: number;
  /** Overrides epochs when set. */
  maxSteps: number | undefined;
  schedule: ScheduleKind;
  warmupRatio: number;
  /** Tokens per sequence (prompt + completion); undefined: min(1024, the model's max positions). */
  maxLength: number | undefined;
  /** Fraction of pairs held out for evaluation; 0 disables evaluation. */
  evalSplit: number;
  evalEvery: number;
  checkpointEvery: number;
  seed: number;
  device: DeviceRequest;
  /**
   * The reference model of the loss when training starts from an adapter (--adapter-init): 'init' is that
   * starting adapter, frozen (TRL >= 1.13 with PEFT >= 0.20 does this for a model that already carries an
   * adapter and no ref_model); 'base' is the base model without any adapter. Without a starting adapter
   * both are the base model.
   */
  reference: ReferenceChoice;
  /** Memory budget in GB for the run's plan (micro-batch, recomputation); undefined: 70 % of the free RAM. */
  maxMemory: number | undefined;
}

export const REFERENCE_CHOICES = ['init', 'base'] as const;
export type ReferenceChoice = (typeof REFERENCE_CHOICES)[number];

/**
 * TRL's defaults: beta 0.1, loss sigmoid, learning_rate 1e-6 (DPOConfig; LoRA runs usually want 5e-6 to
 * 5e-5), weight_decay 0, max_grad_norm 1, per-device batch 8, 3 epochs, linear schedule without warmup,
 * seed 42 (TrainingArguments). LoRA r 8 / alpha 16 as PEFT's LoraConfig (r 8, alpha 8) users commonly set.
 */
export const TRAIN_DEFAULTS: TrainArgs = {
  method: 'dpo',
  loss: 'sigmoid',
  beta: 0.1,
  labelSmoothing: 0,
  sftWeight: 0,
  pairWeights: false,
  desirableWeight: 1,
  undesirableWeight: 1,
  loraR: 8,
  loraAlpha: 16,
  loraTargets: undefined,
  optimizer: 'adamw',
  lr: 1e-6,
  weightDecay: 0,
  maxGradNorm: 1,
  batchSize: 8,
  gradAccum: 1,
  epochs: 3,
  maxSteps: undefined,
  schedule: 'linear',
  warmupRatio: 0,
  maxLength: undefined,
  evalSplit: 0.1,
  evalEvery: 50,
  checkpointEvery: 100,
  seed: 42,
  device: 'auto',
  reference: 'init',
  maxMemory: undefined,
};

const flag = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function check(ok: boolean, key: keyof TrainArgs, value: unknown, what: string): void {
  if (!ok) throw new Error(`${flag(key)} must be ${what}; got ${JSON.stringify(value) ?? String(value)}`);
}

const positiveInt = (v: number): boolean => Number.isInteger(v) && v > 0;
const finite = (v: number): boolean => typeof v === 'number' && Number.isFinite(v);

/** Defaults filled in and every value checked. */
export function resolveTrainArgs(given: Partial<TrainArgs>): TrainArgs {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const a: TrainArgs = { ...TRAIN_DEFAULTS, ...defined };
  check(TRAIN_METHODS.includes(a.method), 'method', a.method, `one of ${TRAIN_METHODS.join(', ')}`);
  check(DPO_LOSS_TYPES.includes(a.loss), 'loss', a.loss, `one of ${DPO_LOSS_TYPES.join(', ')}`);
  check(finite(a.beta) && a.beta > 0, 'beta', a.beta, 'a number > 0');
  check(
    finite(a.labelSmoothing) && a.labelSmoothing >= 0 && a.labelSmoothing < 0.5,
    'labelSmoothing',
    a.labelSmoothing,
    'in [0, 0.5)',
  );
  check(finite(a.sftWeight) && a.sftWeight >= 0, 'sftWeight', a.sftWeight, 'a number >= 0 (0 turns it off)');
  check(typeof a.pairWeights === 'boolean', 'pairWeights', a.pairWeights, 'true or false');
  for (const key of ['desirableWeight', 'undesirableWeight'] as const)
    check(finite(a[key]) && a[key] >= 0, key, a[key], 'a number >= 0');
  // ORPO has its own NLL term and KTO none; pair weights belong to the DPO table.
  check(a.method === 'dpo' || a.sftWeight === 0, 'sftWeight', a.sftWeight, `0 for ${a.method} (dpo only)`);
  check(a.method === 'dpo' || !a.pairWeights, 'pairWeights', a.pairWeights, `off for ${a.method} (dpo only)`);
  check(positiveInt(a.loraR), 'loraR', a.loraR, 'a positive integer');
  check(finite(a.loraAlpha) && a.loraAlpha > 0, 'loraAlpha', a.loraAlpha, 'a number > 0');
  check(
    a.loraTargets === undefined ||
      (a.loraTargets.length > 0 && a.loraTargets.every((t) => /^[\w.]+$/.test(t))),
    'loraTargets',
    a.loraTargets,
    'a comma-separated list of module names',
  );
  check(a.optimizer === 'adamw' || a.optimizer === 'sgd', 'optimizer', a.optimizer, 'adamw or sgd');
  check(a.lr > 0, 'lr', a.lr, 'a number > 0');
  check(finite(a.weightDecay) && a.weightDecay >= 0, 'weightDecay', a.weightDecay, 'a number >= 0');
  check(
    finite(a.maxGradNorm) && a.maxGradNorm >= 0,
    'maxGradNorm',
    a.maxGradNorm,
    'a number >= 0 (0 turns clipping off)',
  );
  check(positiveInt(a.batchSize), 'batchSize', a.batchSize, 'a positive integer');
  check(
    positiveInt(a.gradAccum) && a.batchSize % a.gradAccum === 0,
    'gradAccum',
    a.gradAccum,
    `a positive integer dividing --batch-size ${a.batchSize}`,
  );
  check(positiveInt(a.epochs), 'epochs', a.epochs, 'a positive integer');
  check(a.maxSteps === undefined || positiveInt(a.maxSteps), 'maxSteps', a.maxSteps, 'a positive integer');
  check(SCHEDULE_KINDS.includes(a.schedule), 'schedule', a.schedule, `one of ${SCHEDULE_KINDS.join(', ')}`);
  check(
    finite(a.warmupRatio) && a.warmupRatio >= 0 && a.warmupRatio <= 1,
    'warmupRatio',
    a.warmupRatio,
    'in [0, 1]',
  );
  check(
    a.maxLength === undefined || (positiveInt(a.maxLength) && a.maxLength >= 2),
    'maxLength',
    a.maxLength,
    'an integer >= 2',
  );
  check(
    finite(a.evalSplit) && a.evalSplit >= 0 && a.evalSplit < 1,
    'evalSplit',
    a.evalSplit,
    'in [0, 1) (0 disables evaluation)',
  );
  check(positiveInt(a.evalEvery), 'evalEvery', a.evalEvery, 'a positive integer');
  check(positiveInt(a.checkpointEvery), 'checkpointEvery', a.checkpointEvery, 'a positive integer');
  check(Number.isInteger(a.seed) && a.seed >= 0, 'seed', a.seed, 'a non-negative integer');
  check(['auto', 'cpu', 'cuda'].includes(a.device), 'device', a.device, 'auto, cpu or cuda');
  check(REFERENCE_CHOICES.includes(a.reference), 'reference', a.reference, 'init or base');
  check(
    a.maxMemory === undefined || (finite(a.maxMemory) && a.maxMemory > 0),
    'maxMemory',
    a.maxMemory,
    'a number of GB > 0',
  );
  return a;
}
