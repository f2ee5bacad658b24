// Training runs as the renderer sees them: the settings of a DPO run (TrainArgs of the trainer) with a
// one-line explanation each, a run with its status, metric series, and the live metrics event.
import { z } from 'zod';
import { Id } from './schemas';

export const LOSS_TYPES = ['sigmoid', 'hinge', 'ipo', 'robust'] as const;
/** The objectives (TRL's trainers): DPO, KTO (unpaired good/bad labels), ORPO (no reference model). */
export const TRAIN_METHODS = ['dpo', 'kto', 'orpo'] as const;
export const SCHEDULES = ['constant', 'linear', 'cosine'] as const;
/**
 * The reference model when training starts from a trained version: 'init' is that version's adapter, frozen
 * (TRL's choice for a model that already carries an adapter); 'base' is the base model without any adapter.
 * Training from a model without an adapter, both are that model.
 */
export const REFERENCE_CHOICES = ['init', 'base'] as const;

const positiveInt = z.number().int().positive();

export const TrainSettings = z.object({
  method: z.enum(TRAIN_METHODS),
  loss: z.enum(LOSS_TYPES),
  beta: z.number().positive(),
  labelSmoothing: z.number().min(0).lt(0.5),
  sftWeight: z.number().min(0),
  pairWeights: z.boolean(),
  desirableWeight: z.number().min(0),
  undesirableWeight: z.number().min(0),
  loraR: positiveInt,
  loraAlpha: z.number().positive(),
  loraTargets: z
    .array(z.string().regex(/^[\w.]+$/))
    .min(1)
    .nullable(),
  optimizer: z.enum(['adamw', 'sgd']),
  lr: z.number().positive(),
  weightDecay: z.number().min(0),
  maxGradNorm: z.number().min(0),
  batchSize: positiveInt,
  gradAccum: positiveInt,
  epochs: positiveInt,
  maxSteps: positiveInt.nullable(),
  schedule: z.enum(SCHEDULES),
  warmupRatio: z.number().min(0).max(1),
  maxLength: z.number().int().min(2).nullable(),
  evalEvery: positiveInt,
  checkpointEvery: positiveInt,
  seed: z.number().int().nonnegative(),
  device: z.enum(['auto', 'cpu', 'cuda']),
  /** Runs stored before the choice existed were started with the starting adapter as reference. */
  reference: z.enum(REFERENCE_CHOICES).default('init'),
  /** Memory budget in GB; null: 70 % of the free RAM (the run picks micro-batch and recomputation). */
  maxMemory: z.number().positive().nullable().default(null),
});
export type TrainSettings = z.infer<typeof TrainSettings>;
export type TrainSettingName = keyof TrainSettings;

/** One line per setting for the advanced panel (what it does, in plain words). */
export const TRAIN_SETTING_HELP: Record<TrainSettingName, string> = {
  method:
    'DPO learns from pairs; KTO from each answer marked good or bad (a pair gives one of each); ORPO needs no reference model',
  loss: 'DPO: sigmoid is the paper; ipo is length-normalised; hinge and robust (noisy labels) are variants',
  beta: 'how far the tuned model may move from the base: lower lets it move further',
  labelSmoothing: 'share of ratings assumed flipped (sigmoid and robust); 0 trusts every rating',
  sftWeight: "adds this much of the chosen answers' likelihood to the loss (0 = off; DPO only)",
  pairWeights: 'count strongly preferred pairs more (rating strength); off counts every pair once (DPO only)',
  desirableWeight: "KTO: weight of the good answers' losses (raise it when bad answers outnumber good ones)",
  undesirableWeight: "KTO: weight of the bad answers' losses",
  loraR: 'rank of the LoRA update: more is more capacity, more memory',
  loraAlpha: 'LoRA scale; the update is multiplied by alpha / r',
  loraTargets: 'modules that get LoRA (empty: every attention and MLP projection)',
  optimizer: 'AdamW (the usual choice) or plain SGD',
  lr: 'step size of the optimizer at its peak',
  weightDecay: 'pulls the LoRA weights towards zero at every step',
  maxGradNorm: 'clips the gradient to this length (0 = no clipping)',
  batchSize: 'pairs per optimizer step (the loss is their mean)',
  gradAccum: 'the batch is run in this many pieces to save memory; same result',
  epochs: 'passes over the training pairs',
  maxSteps: 'optimizer steps in total; overrides epochs when set',
  schedule: 'how the learning rate changes over the run after warmup',
  warmupRatio: 'share of steps spent raising the learning rate from 0',
  maxLength: "tokens kept per prompt + answer; longer pairs lose the answer's end (TRL's keep_start)",
  evalEvery: 'steps between evaluations on the eval split',
  checkpointEvery: 'steps between checkpoints (what Resume continues from)',
  seed: 'fixes the LoRA start and the data order, so a run can be repeated',
  device: 'where to train: auto uses the GPU when CUDA works',
  reference:
    'what the tuned model is compared with when it starts from a trained version: init is that version (as TRL does), base the base model',
  maxMemory:
    'GB the run may use (empty: 70% of the free memory); the largest micro-batch that fits is used, ' +
    'and a run that cannot fit is refused before it starts',
};

export const RunStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;

export const Run = z.object({
  id: Id,
  datasetId: Id.nullable(),
  datasetName: z.string().nullable(),
  baseModelId: Id,
  baseModelName: z.string().nullable(),
  outputModelId: Id.nullable(),
  status: RunStatus,
  /** 'cpu' or 'cuda' once started. */
  device: z.string().nullable(),
  /** e.g. "CPU (no CUDA: ...)", or an automatic change such as the out-of-memory retry. */
  deviceNote: z.string().nullable(),
  error: z.string().nullable(),
  /** Degenerate settings or a degenerate run (loss stuck at ln 2, adapter weights blowing up), once each. */
  warnings: z.array(z.string()),
  step: z.number().int().nonnegative(),
  totalSteps: z.number().int().nonnegative().nullable(),
  /** As asked for. */
  settings: TrainSettings.nullable(),
  /** As in force (after automatic changes) and what the trainer resolved. */
  config: z.record(z.string(), z.unknown()),
  /** A checkpoint exists and the run did not finish: Resume continues it. */
  canResume: z.boolean(),
  /** The latest job of this run (cancel it to stop the run). */
  jobId: Id.nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type Run = z.infer<typeof Run>;

/** One metric over the steps it was logged at. */
export const MetricSeries = z.object({
  name: z.string(),
  steps: z.array(z.number().int().nonnegative()),
  values: z.array(z.number().nullable()),
});
export type MetricSeries = z.infer<typeof MetricSeries>;

export const RunDetail = z.object({
  run: Run,
  /** TRL's names; eval series keep their eval_ prefix. */
  metrics: z.object({ train: z.array(MetricSeries), eval: z.array(MetricSeries) }),
});
export type RunDetail = z.infer<typeof RunDetail>;

export const TrainProgress = z.object({
  step: z.number().int().nonnegative(),
  totalSteps: z.number().int().nonnegative(),
  tokensPerSecond: z.number().nonnegative().nullable(),
  secondsLeft: z.number().nonnegative().nullable(),
});
export type TrainProgress = z.infer<typeof TrainProgress>;

/** One logged step of a run: its train values, and eval values when it evaluated. */
export const RunMetricsEvent = z.object({
  runId: Id,
  step: z.number().int().nonnegative(),
  train: z.record(z.string(), z.number().nullable()),
  eval: z.record(z.string(), z.number().nullable()),
  progress: TrainProgress,
});
export type RunMetricsEvent = z.infer<typeof RunMetricsEvent>;

export const TrainDefaults = z.object({
  settings: TrainSettings,
  /** Why each sized setting has its value (max length, batch, accumulation, epochs). */
  notes: z.array(z.string()),
  trainPairs: z.number().int().nonnegative(),
  evalPairs: z.number().int().nonnegative(),
  device: z.enum(['cpu', 'cuda']),
  /** "CPU (no CUDA: ...)" when training would not use a GPU. */
  deviceLine: z.string(),
});
export type TrainDefaults = z.infer<typeof TrainDefaults>;
