// Decoder-only transformer pieces built from primitives: linear, activations, norms, RoPE, grouped-query
// attention with a causal mask, token log-probs and a numerically stable log-sigmoid.
import { isFloat } from './dtype';
import type { Tensor } from './graph';
import {
  abs,
  add,
  cast,
  cos,
  div,
  erf,
  exp,
  lessOrEqual,
  log,
  logicalAnd,
  maximum,
  mul,
  neg,
  pow,
  sigmoid,
  sin,
  sqrt,
  sub,
  tanh,
  where,
} from './ops-elementwise';
import { gatherElements, range } from './ops-index';
import { logSoftmax, matmul, reduceMean, softmax } from './ops-reduce';
import { concat, dimOf, expand, reshape, slice, squeeze, transposeLast, unsqueeze } from './ops-shape';
import { formatShape, type Dim } from './shape';

/** y = x W^T + b with W as [out, in] (the PyTorch / Hugging Face layout). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const y = matmul(x, transposeLast(weight)); // (..., out)
  return bias ? add(y, bias) : y;
}

export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));

/** Exact GELU, 0.5 x (1 + erf(x / sqrt 2)) (torch.nn.functional.gelu). Erf runs in float32 on ORT CPU. */
export const gelu = (x: Tensor): Tensor => mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));

/** GPT-2's tanh approximation ("gelu_new" in transformers). */
export function geluNew(x: Tensor): Tensor {
  const inner = mul(add(x, mul(pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}

/**
 * softplus(x) = max(x, 0) + log(1 + exp(-|x|)), stable for large |x|. max (not relu) so that the gradient at
 * exactly 0 is 1/2: DPO's first step has policy == reference, so its logits are exactly 0.
 */
export const softplus = (x: Tensor): Tensor => add(maximum(x, 0), log(add(exp(neg(abs(x))), 1)));

/** log(sigmoid(x)) = -softplus(-x) (torch.nn.functional.logsigmoid). */
export const logSigmoid = (x: Tensor): Tensor => neg(softplus(neg(x)));

/** RMSNorm over the last dim (Llama): x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const meanSquare = reduceMean(mul(x, x), [-1], true); // (..., 1)
  return mul(div(x, sqrt(add(meanSquare, eps))), weight);
}

/** LayerNorm over the last dim (GPT-2), biased variance as torch.nn.LayerNorm. */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const centered = sub(x, reduceMean(x, [-1], true)); // (..., C)
  const variance = reduceMean(mul(centered, centered), [-1], true); // (..., 1)
  return add(mul(div(centered, sqrt(add(variance, eps))), weight), bias);
}

/**
 * RoPE tables for int64 positions (B, T): cos and sin of shape (B, 1, T, headDim), broadcasting over heads.
 * inv_freq[j] = base^(-2j/headDim), as transformers' LlamaRotaryEmbedding (default rope type).
 */
export function ropeTables(
  positions: Tensor,
  headDim: number,
  base: number,
  dtype: 'float32' | 'float64' = 'float32',
): { cos: Tensor; sin: Tensor } {
  const inverse = Array.from({ length: headDim / 2 }, (_, j) => Math.pow(base, (-2 * j) / headDim));
  const invFreq = dtype === 'float64' ? Float64Array.from(inverse) : Float32Array.from(inverse);
  const frequencies = positions.graph.constant(invFreq, [headDim / 2]);
  const freqs = mul(unsqueeze(cast(positions, dtype), [-1]), frequencies); // (B, T, D/2)
  const angles = unsqueeze(concat([freqs, freqs], -1), [1]); // (B, 1, T, D)
  return { cos: cos(angles), sin: sin(angles) };
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1] (transformers' apply_rotary_pos_emb). */
export function applyRope(x: Tensor, cosTable: Tensor, sinTable: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  if (typeof d !== 'number' || d % 2 !== 0)
    throw new Error(`applyRope: head dim must be even, got ${formatShape(x.shape)}`);
  const x1 = slice(x, -1, 0, d / 2); // (B, H, T, D/2)
  const x2 = slice(x, -1, d / 2); // (B, H, T, D/2)
  const rotated = concat([neg(x2), x1], -1); // (B, H, T, D)
  return add(mul(x, cosTable), mul(rotated, sinTable));
}

/** (B, Hkv, T, D) -> (B, Hkv * groups, T, D): each key/value head serves `groups` query heads. */
export function repeatKv(x: Tensor, groups: number): Tensor {
  if (groups === 1) return x;
  const [b, heads, t, d] = x.shape as [Dim, Dim, Dim, Dim];
  if (typeof heads !== 'number')
    throw new Error(`repeatKv: kv heads must be known, got ${formatShape(x.shape)}`);
  const expanded = expand(unsqueeze(x, [2]), [b, heads, groups, t, d]); // (B, Hkv, G, T, D)
  return reshape(expanded, [b, heads * groups, t, d]);
}

/**
 * Causal mask for scores (..., Tq, Tk): true where key j may be seen by query i, that is j <= i + (Tk - Tq),
 * so queries appended after a KV cache of Tk - Tq positions see the whole cache.
 */
export function causalMask(scores: Tensor): Tensor {
  const g = scores.graph;
  const queries = dimOf(scores, -2); // int64 [1]
  const keys = dimOf(scores, -1);
  const zero = g.scalar(0, 'int64');
  const rows = range(zero, reshape(queries, []), scores.shape[scores.rank - 2] as Dim); // (Tq)
  const cols = range(zero, reshape(keys, []), scores.shape[scores.rank - 1] as Dim); // (Tk)
  const lastSeen = add(unsqueeze(rows, [1]), sub(keys, queries)); // (Tq, 1)
  return lessOrEqual(unsqueeze(cols, [0]), lastSeen); // (Tq, Tk)
}

/** The most negative value that stays finite in `dtype`, for masked attention scores. */
function maskValue(x: Tensor): number {
  return x.dtype === 'float16' ? -65504 : -1e9;
}

export interface AttentionOptions {
  causal?: boolean;
  /** bool, broadcastable to the scores (B, H, Tq, Tk): true where attention is allowed (e.g. padding). */
  mask?: Tensor;
  /** Scores are q·k times this; default 1 / sqrt(head dim) (Gemma 3 uses query_pre_attn_scalar^-0.5). */
  scale?: number;
}

/** Scaled dot-product attention with grouped-query heads: q (B, H, Tq, D), k and v (B, Hkv, Tk, D). */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const heads = q.shape[1];
  const kvHeads = k.shape[1];
  const headDim = q.shape[3];
  if (
    q.rank !== 4 ||
    k.rank !== 4 ||
    v.rank !== 4 ||
    typeof heads !== 'number' ||
    typeof kvHeads !== 'number'
  ) {
    throw new Error(
      `attention: expected (B, H, T, D) with known heads: ${formatShape(q.shape)}, ${formatShape(k.shape)}`,
    );
  }
  if (typeof headDim !== 'number' || heads % kvHeads !== 0) {
    throw new Error(`attention: ${heads} query heads cannot share ${kvHeads} kv heads`);
  }
  if (!isFloat(q.dtype)) throw new Error(`attention: needs float tensors, got ${q.dtype}`);
  const keys = repeatKv(k, heads / kvHeads); // (B, H, Tk, D)
  const values = repeatKv(v, heads / kvHeads); // (B, H, Tk, D)
  let scores = mul(matmul(q, transposeLast(keys)), options.scale ?? 1 / Math.sqrt(headDim)); // (B, H, Tq, Tk)
  let allowed = options.causal ? causalMask(scores) : undefined; // (Tq, Tk)
  if (options.mask) allowed = allowed ? logicalAnd(allowed, options.mask) : options.mask;
  if (allowed) scores = where(allowed, scores, maskValue(scores));
  return matmul(softmax(scores, -1), values); // (B, H, Tq, D)
}

/** log p(target) at each position: logits (..., V), targets int64 (...) -> (...). */
export function tokenLogProbs(logits: Tensor, targets: Tensor): Tensor {
  const logProbs = logSoftmax(logits, -1); // (..., V)
  const picked = gatherElements(logProbs, unsqueeze(targets, [-1]), -1); // (..., 1)
  return squeeze(picked, [-1]);
}
