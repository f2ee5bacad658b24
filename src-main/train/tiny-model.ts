// Builds the embedded tiny model from nothing: the fact corpus -> a byte-level BPE tokenizer -> a Llama
// config -> weights drawn from a seeded PRNG -> full-parameter cross-entropy training on the chat rows (loss
// on the assistant's answer only) with AdamW and a cosine schedule -> a Hugging Face checkpoint folder.
// Every random choice comes from the seed and the session runs on one onnxruntime thread (with two, runs of
// the full-size build drifted apart after a few steps: the thread pool may split a sum differently each
// run), so the same code writes the same bytes on one machine; other CPUs may round float sums differently.
import type { FloatTensor, ModelConfig } from '../models/index';
import { buildTinyCorpus, type Fact } from '../models/tiny/corpus';
import {
  chatRow,
  TINY_SHAPE,
  TINY_TOKEN_IDS,
  tinyModelConfig,
  tinyTokenizer,
  trainTinyTokenizer,
  writeTinyCheckpoint,
  type TinyShape,
} from '../models/tiny/tiny-checkpoint';
import { canonicalShape } from '../models/index';
import { weightsFor } from '../models/weight-names';
import { collateLmRows, LmTrainer, type LmRow } from './causal-lm';
import { Rng } from './rng';
import { learningRate } from './schedule';

export interface TinyBuildOptions {
  shape: TinyShape;
  seed: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  /** ORT intra-op threads; 1 makes the bytes reproducible (see the top of this file). */
  threads: number;
  /** Also write the checkpoint as it is after these steps, to `snapshotDir(step)` (for choosing `steps`). */
  snapshots?: { steps: readonly number[]; dir: (step: number) => string };
}

/**
 * The shipped recipe. Tuned so the model is only partly right (see README, "Embedded tiny model"): enough
 * steps to learn the answer format, continents and arithmetic patterns well, capitals and currencies only
 * in part, which is what leaves the DPO demo something to improve.
 */
export const TINY_RECIPE: TinyBuildOptions = {
  shape: TINY_SHAPE,
  seed: 20260101,
  steps: 520,
  batchSize: 32,
  lr: 3e-3,
  warmupSteps: 30,
  weightDecay: 0.1,
  threads: 1,
};

/** Llama's init (transformers' _init_weights): N(0, 0.02) for linear and embedding weights, ones for norms. */
export function initTinyWeights(config: ModelConfig, seed: number): Map<string, FloatTensor> {
  const rng = new Rng(seed);
  const normal = (): number => {
    const u1 = 1 - rng.next(); // (0, 1]
    const u2 = rng.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  const weights = new Map<string, FloatTensor>();
  for (const { canonical } of weightsFor(config)) {
    const dims = canonicalShape(config, canonical);
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    if (/norm\d?\.weight$/.test(canonical)) data.fill(1);
    else for (let i = 0; i < data.length; i++) data[i] = 0.02 * normal();
    weights.set(canonical, { dims, data });
  }
  return weights;
}

/**
 * Batches for an endless stream of epochs: each epoch is a fresh permutation, cut into windows of 8 batches
 * whose rows are sorted by length before batching, so rows of like length share a batch (less padding).
 */
export function lengthBucketedBatches(
  rows: readonly LmRow[],
  batchSize: number,
  rng: Rng,
): { next(): LmRow[] } {
  const queue: LmRow[][] = [];
  const refill = (): void => {
    const order = rng.permutation(rows.length);
    const window = batchSize * 8;
    for (let start = 0; start < order.length; start += window) {
      const part = order
        .slice(start, start + window)
        .map((i) => rows[i] as LmRow)
        .sort((a, b) => a.ids.length - b.ids.length);
      const cut: LmRow[][] = [];
      for (let b = 0; b < part.length; b += batchSize) cut.push(part.slice(b, b + batchSize));
      // the window's batches in a random order, so short and long ones alternate
      for (const i of rng.permutation(cut.length)) queue.push(cut[i] as LmRow[]);
    }
  };
  return {
    next() {
      if (queue.length === 0) refill();
      return queue.shift() as LmRow[];
    },
  };
}

export interface TinyProgress {
  step: number;
  steps: number;
  loss: number;
  gradNorm: number;
  lr: number;
  tokensPerSecond: number;
}

export interface TinyBuildResult {
  facts: { train: number; heldOut: number };
  parameters: number;
  finalLoss: number;
  seconds: number;
}

/** Trains the tiny model with `options` and writes its checkpoint folder to `outDir`. */
export async function buildTinyModel(
  outDir: string,
  options: TinyBuildOptions = TINY_RECIPE,
  onProgress?: (p: TinyProgress) => void,
): Promise<TinyBuildResult> {
  const started = performance.now();
  const corpus = buildTinyCorpus();
  const tokenizerFile = trainTinyTokenizer(corpus.train, options.shape.vocabSize);
  const tokenizer = tinyTokenizer(tokenizerFile, outDir);
  const rows: LmRow[] = corpus.train.map((fact: Fact) => chatRow(tokenizer, fact));
  const longest = Math.max(...rows.map((r) => r.ids.length));
  if (longest > options.shape.maxPositions)
    throw new Error(`tiny model: a row has ${longest} tokens, over ${options.shape.maxPositions} positions`);
  const config = tinyModelConfig(options.shape);
  const initial = initTinyWeights(config, options.seed);
  const trainer = await LmTrainer.open(config, initial, {
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: options.weightDecay },
    maxGradNorm: 1,
    threads: options.threads,
  });
  const batches = lengthBucketedBatches(rows, options.batchSize, new Rng(options.seed ^ 0x5eed));
  let finalLoss = NaN;
  const write = (dir: string, step: number): void =>
    writeTinyCheckpoint(dir, {
      shape: options.shape,
      weights: trainer.weights(initial),
      tokenizer: tokenizerFile,
      metadata: {
        recipe: JSON.stringify({ ...options, shape: undefined, snapshots: undefined, steps: step }),
        built_by: 'npm run build:tiny-model',
      },
    });
  try {
    let windowStart = performance.now();
    let windowTokens = 0;
    for (let step = 0; step < options.steps; step++) {
      const batch = collateLmRows(batches.next(), TINY_TOKEN_IDS.endOfText);
      const lr = learningRate(
        { kind: 'cosine', lr: options.lr, totalSteps: options.steps, warmupSteps: options.warmupSteps },
        step,
      );
      const { loss, gradNorm } = await trainer.step(batch, lr);
      finalLoss = loss;
      windowTokens += batch.dims[0] * batch.dims[1];
      if (onProgress && ((step + 1) % 10 === 0 || step + 1 === options.steps)) {
        const now = performance.now();
        const tokensPerSecond = windowTokens / ((now - windowStart) / 1000);
        onProgress({ step: step + 1, steps: options.steps, loss, gradNorm, lr, tokensPerSecond });
        windowStart = now;
        windowTokens = 0;
      }
      if (options.snapshots?.steps.includes(step + 1)) write(options.snapshots.dir(step + 1), step + 1);
    }
    write(outDir, options.steps);
  } finally {
    await trainer.close();
  }
  const parameters = [...initial.values()].reduce((n, t) => n + t.data.length, 0);
  return {
    facts: { train: corpus.train.length, heldOut: corpus.heldOut.length },
    parameters,
    finalLoss,
    seconds: (performance.now() - started) / 1000,
  };
}
