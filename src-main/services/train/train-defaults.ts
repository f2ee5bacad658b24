// One-click settings: TRL's defaults, with the length, batch, accumulation, epochs and cadences sized from
// the dataset (its real token lengths and pair count) and the device; each sized value says why.
import { stepsPlan } from '../../../src-shared/train-plan';
import type { TrainSettings } from '../../../src-shared/train-schemas';
import { TRAIN_DEFAULTS } from '../../train/index';

export interface DatasetShape {
  trainPairs: number;
  evalPairs: number;
  /** Tokens of prompt + the longer completion (eos included), one per pair (a sample of big datasets). */
  pairTokens: readonly number[];
}

export interface ModelShape {
  maxPositions: number;
  parameterCount: number | null;
}

/** Tokens of [chosen; rejected] rows one forward/backward may hold: the micro-batch budget. */
const TOKEN_BUDGET = { cpu: 8192, cuda: 32768 } as const;
const MIN_STEPS = 30;
const MAX_EPOCHS = 10;

const pow2AtMost = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

export function defaultTrainSettings(
  dataset: DatasetShape,
  model: ModelShape,
  device: 'cpu' | 'cuda',
): { settings: TrainSettings; notes: string[] } {
  const notes: string[] = [];
  // ---- max length: the longest pair (nothing cut), rounded up to 16, within the model's positions ----
  const sorted = [...dataset.pairTokens].sort((a, b) => a - b);
  const longest = sorted.at(-1) ?? 0;
  const cap = Math.min(1024, model.maxPositions);
  const maxLength = Math.max(16, Math.min(cap, Math.ceil(longest / 16) * 16));
  const cut = sorted.filter((n) => n > maxLength).length;
  notes.push(
    `max length ${maxLength}: the longest pair has ${longest} tokens (p95 ${percentile(sorted, 0.95)})` +
      (cut > 0 ? `; ${cut} longer pairs lose the start of their prompt (model limit ${cap})` : ''),
  );
  // ---- batch: TRL's 8 pairs, fewer for a small dataset so an epoch still has about 4 steps ----
  const batchSize = Math.min(8, pow2AtMost(Math.floor(dataset.trainPairs / 4)));
  // ---- micro-batch: as many pairs as the device's token budget holds (2 rows per pair) ----
  const budget = TOKEN_BUDGET[device] / ((model.parameterCount ?? 0) > 1e9 ? 4 : 1);
  const micro = Math.min(batchSize, pow2AtMost(Math.floor(budget / (2 * maxLength))));
  const gradAccum = batchSize / micro;
  notes.push(
    `batch ${batchSize} pairs per step for ${dataset.trainPairs} training pairs, run as ${gradAccum} ` +
      `micro-batch${gradAccum > 1 ? 'es' : ''} of ${micro} to fit ${device === 'cuda' ? 'GPU' : 'CPU'} memory`,
  );
  // ---- epochs: TRL's 3, more (up to 10) when that is under 30 steps, 1 for a big dataset ----
  const stepsPerEpoch = Math.ceil(dataset.trainPairs / batchSize);
  const epochs =
    stepsPerEpoch >= 1000
      ? 1
      : Math.min(MAX_EPOCHS, Math.max(TRAIN_DEFAULTS.epochs, Math.ceil(MIN_STEPS / stepsPerEpoch)));
  const plan = stepsPlan(dataset.trainPairs, { batchSize, epochs, maxSteps: null });
  const totalSteps = plan.totalSteps;
  notes.push(plan.line);
  const every = Math.max(1, Math.round(totalSteps / 10));
  return {
    settings: {
      method: TRAIN_DEFAULTS.method,
      loss: TRAIN_DEFAULTS.loss,
      beta: TRAIN_DEFAULTS.beta,
      labelSmoothing: 0,
      sftWeight: 0,
      pairWeights: false,
      desirableWeight: TRAIN_DEFAULTS.desirableWeight,
      undesirableWeight: TRAIN_DEFAULTS.undesirableWeight,
      loraR: TRAIN_DEFAULTS.loraR,
      loraAlpha: TRAIN_DEFAULTS.loraAlpha,
      loraTargets: null,
      optimizer: 'adamw',
      // TRL's 1e-6 is for full fine-tuning; LoRA updates want a larger step (PEFT's examples use 5e-5).
      lr: 5e-5,
      weightDecay: 0,
      maxGradNorm: TRAIN_DEFAULTS.maxGradNorm,
      batchSize,
      gradAccum,
      epochs,
      maxSteps: null,
      schedule: 'linear',
      warmupRatio: 0.1,
      maxLength,
      evalEvery: every,
      checkpointEvery: every,
      seed: TRAIN_DEFAULTS.seed,
      device: 'auto',
      reference: TRAIN_DEFAULTS.reference,
      maxMemory: null,
    },
    notes,
  };
}
