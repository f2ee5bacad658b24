// The memory model of a DPO run, worked out from the shapes before anything is built: frozen weights (one
// copy, stored dtype), LoRA and optimizer state, the activations the backward pass keeps per token per layer
// (all of them, or each layer's input when layers are recomputed), one layer's working set, and one chunk
// of the LM head. planMemory picks the largest micro-batch (and recomputation or not) that fits a budget.
import type { ModelConfig } from '../models/index';

const F32 = 4;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Logits of one head chunk stay under this. */
export const HEAD_CHUNK_BYTES = 64 * MIB;
/** More chunks make a longer graph for little saving. */
const MAX_HEAD_CHUNKS = 64;
/** Node, onnxruntime and the modules before any tensor (measured: 110-130 MiB, plus ORT's own start). */
export const RUNTIME_BYTES = 170 * MIB;

/** Head chunks for at most `tokens` completion tokens per run, each chunk's logits under HEAD_CHUNK_BYTES. */
export function headChunksFor(vocabSize: number, tokens: number): number {
  const perChunk = Math.max(16, Math.floor(HEAD_CHUNK_BYTES / (vocabSize * F32)));
  return Math.min(MAX_HEAD_CHUNKS, Math.max(1, Math.ceil(tokens / perChunk)));
}

export interface MemoryShape {
  config: ModelConfig;
  /** Bytes of the frozen weights as stored (bf16/f16: 2 per parameter), held once. */
  weightBytes: number;
  /** LoRA parameters (all A and B elements). */
  loraParams: number;
  optimizer: 'adamw' | 'sgd';
  /** Tokens per sequence (prompt + completion), the longest a batch can be. */
  maxLength: number;
  /** The weights are stored as bf16/f16 words, widened to float32 inside the graph where used. */
  halfWeights?: boolean;
}

export interface MemoryEstimate {
  weights: number;
  /**
   * Float32 copies the graph makes of half-precision weights while it runs: the LM head's table (tied: the
   * embedding), used by every head chunk forward and backward, and one layer's projections.
   */
  widened: number;
  /** LoRA tensors, their gradients and optimizer state, in and out of the step graph. */
  adapter: number;
  /** What the backward pass keeps: every layer's activations, or each layer's input under recomputation. */
  kept: number;
  /** One layer's activations and their gradients while it is (re)computed and differentiated. */
  working: number;
  /** One chunk of the LM head (logits, log-softmax, softmax) and the completion rows' slopes. */
  head: number;
  runtime: number;
  total: number;
}

/**
 * Floats a layer keeps per token for its backward pass (Llama: norms, q/k/v before and after RoPE, k/v
 * repeated over the query heads, the attention scores three times (scaled and masked, softmax, dropout-free
 * product), MLP). Calibrated on Qwen2.5-0.5B's shape (bench:scale: 18.6 GB measured where one copy of the
 * scores gave 13.4 GB of activations).
 */
function keptPerToken(c: ModelConfig, seq: number, r: number): number {
  const attnWidth = c.numHeads * c.headDim;
  const mlp = c.mlp === 'gated-silu' ? 5 * c.intermediateSize : 3 * c.intermediateSize;
  return 4 * c.hiddenSize + 8 * attnWidth + 3 * c.numHeads * seq + mlp + 7 * r;
}

/**
 * onnxruntime's memory options for a plan's sessions. Its CPU arena keeps what a run freed and grows on:
 * fast (bench:train's step: 10.9 s with it, 34 s without), but at Llama-3.2-1B's shape it took the peak from
 * 6.39 to 9.89 GB, so a plan that had to recompute is short of memory and frees to the system. With the
 * arena, the memory pattern goes: from a session's second run it places all of a run's tensors in one new
 * block, which the arena cannot carve from the chunks the first run left, so the peak doubled from the
 * second step on (bench:train: 5.8 GiB at step 1, 10.8 GiB from step 2; without the pattern 6.0 GiB, at the
 * same step time). Recomputing plans keep it, as their measured peaks were.
 */
export function sessionMemory(recompute: boolean): { cpuArena: boolean; memPattern: boolean } {
  return { cpuArena: !recompute, memPattern: recompute };
}

/** The peak of one training step with `microBatch` pairs per run. */
export function estimatePeak(
  shape: MemoryShape,
  options: { microBatch: number; recompute: boolean; loraR: number },
): MemoryEstimate {
  const c = shape.config;
  const seq = shape.maxLength;
  const tokens = 2 * options.microBatch * seq; // [chosen; rejected]
  const layer = keptPerToken(c, seq, options.loraR) * tokens * F32;
  const kept = options.recompute ? c.numLayers * c.hiddenSize * tokens * F32 : c.numLayers * layer;
  // Backward of a layer: gradients of its activations (about as many again); recomputed, the layer's
  // activations too, less what the runtime frees as the backward pass goes (measured: 1.5 layers).
  const working = options.recompute ? 1.5 * layer : layer;
  const chunks = headChunksFor(c.vocabSize, tokens);
  const chunkTokens = Math.ceil(tokens / chunks);
  // One chunk-sized tensor at a time, as measured without onnxruntime's CPU arena (logits -> log-softmax ->
  // softmax reuse one buffer; with the arena two were counted); the selected hidden rows, their slopes and
  // the gradient of the hidden states are (tokens, C) each.
  const head = chunkTokens * c.vocabSize * F32 + 3 * tokens * c.hiddenSize * F32;
  const slots = shape.optimizer === 'adamw' ? 9 : 5; // p, grad, m, v in; p, m, v out; feeds copied
  const attnWidth = c.numHeads * c.headDim;
  const kvWidth = c.numKvHeads * c.headDim;
  const mlpMatrices = c.mlp.startsWith('gated') ? 3 : 2;
  const layerWeights = c.hiddenSize * (2 * attnWidth + 2 * kvWidth + mlpMatrices * c.intermediateSize);
  const estimate = {
    weights: shape.weightBytes,
    widened: shape.halfWeights ? (c.vocabSize * c.hiddenSize + layerWeights) * F32 : 0,
    adapter: shape.loraParams * F32 * slots,
    kept,
    working,
    head,
    runtime: RUNTIME_BYTES,
  };
  return { ...estimate, total: Object.values(estimate).reduce((a, b) => a + b, 0) };
}

export interface MemoryPlan {
  microBatch: number;
  gradAccum: number;
  recompute: boolean;
  headChunks: number;
  estimate: MemoryEstimate;
  budget: number;
}

/** Not even one pair per micro-batch fits, with recomputation: refused before anything starts. */
export class MemoryBudgetError extends Error {}

export const formatGb = (bytes: number): string => `${(bytes / GIB).toFixed(2)} GB`;

/** One line: the plan and its estimate, for the CLI and the run's notes. */
export function describePlan(plan: MemoryPlan): string {
  const e = plan.estimate;
  return (
    `memory plan: micro-batch ${plan.microBatch} x ${plan.gradAccum}, recompute ${plan.recompute ? 'on' : 'off'}, ` +
    `head in ${plan.headChunks} chunk${plan.headChunks === 1 ? '' : 's'}; estimated peak ${formatGb(e.total)} ` +
    `of ${formatGb(plan.budget)} (weights ${formatGb(e.weights)}${e.widened > 0 ? ` + ${formatGb(e.widened)} widened` : ''}, activations ${formatGb(e.kept + e.working)}, ` +
    `head ${formatGb(e.head)}, adapter ${formatGb(e.adapter)})`
  );
}

/**
 * The largest micro-batch that fits `budget` bytes: batchSize / minGradAccum pairs at most, halving (while it
 * divides the batch) down to 1; at each size without recomputation first, then with it. Throws
 * MemoryBudgetError with the numbers when one pair with recomputation does not fit.
 */
export function planMemory(
  shape: MemoryShape,
  options: { batchSize: number; minGradAccum: number; loraR: number; budget: number },
): MemoryPlan {
  const sizes: number[] = [];
  for (let m = options.batchSize / options.minGradAccum; m >= 1; m /= 2) {
    if (!Number.isInteger(m) || options.batchSize % m !== 0) break;
    sizes.push(m);
  }
  if (sizes.at(-1) !== 1) sizes.push(1);
  let smallest: MemoryEstimate | undefined;
  for (const microBatch of sizes) {
    for (const recompute of [false, true]) {
      const estimate = estimatePeak(shape, { microBatch, recompute, loraR: options.loraR });
      smallest = estimate;
      if (estimate.total <= options.budget) {
        return {
          microBatch,
          gradAccum: options.batchSize / microBatch,
          recompute,
          headChunks: headChunksFor(shape.config.vocabSize, 2 * microBatch * shape.maxLength),
          estimate,
          budget: options.budget,
        };
      }
    }
  }
  const e = smallest as MemoryEstimate;
  throw new MemoryBudgetError(
    `not enough memory: one pair of ${shape.maxLength} tokens with recomputation needs about ${formatGb(e.total)} ` +
      `(weights ${formatGb(e.weights)}${e.widened > 0 ? ` + ${formatGb(e.widened)} widened` : ''}, activations ${formatGb(e.kept + e.working)}, head ${formatGb(e.head)}, ` +
      `runtime ${formatGb(e.runtime)}) but the budget is ${formatGb(options.budget)}; ` +
      'lower --max-length, raise --max-memory, or free memory',
  );
}

/** bytes of the weights as stored: 2 per parameter for bf16/f16 checkpoints, else 4. */
export function storedWeightBytes(config: ModelConfig, parameters: number): number {
  const half = config.torchDtype === 'bfloat16' || config.torchDtype === 'float16';
  return parameters * (half ? 2 : 4);
}

/** The default budget: 70 % of the memory available now (MemAvailable on Linux), or `maxMemoryGb` given. */
export function memoryBudget(maxMemoryGb: number | undefined, available: number): number {
  return maxMemoryGb !== undefined ? maxMemoryGb * GIB : Math.floor(0.7 * available);
}
