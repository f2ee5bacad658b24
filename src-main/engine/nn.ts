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
import { gather, gatherElements, range, scatterElementsAdd, scatterNDAdd, zerosLike } from './ops-index';
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

/**
 * log p(target) at each position: logits (..., V), targets int64 (...) -> (...). Its gradient is fused,
 * d/dlogits = g * (one_hot(target) - softmax): exp of the log-probs scaled by -g, then g scattered in at the
 * targets (three logits-sized tensors fewer than differentiating gather and log-softmax one by one).
 */
export function tokenLogProbs(logits: Tensor, targets: Tensor): Tensor {
  const logProbs = logSoftmax(logits, -1); // (..., V)
  const index = unsqueeze(targets, [-1]); // (..., 1)
  const picked = squeeze(gatherElements(logProbs, index, -1), [-1]); // (...)
  return logits.graph.withGradient(picked, {
    wrt: [logits],
    rule: (g) => {
      const column = unsqueeze(g, [-1]); // (..., 1)
      return [scatterElementsAdd(mul(exp(logProbs), neg(column)), index, column, -1)]; // (..., V)
    },
  });
}

/**
 * log p(target) under the LM head for selected rows of hidden states, chunk by chunk, with its gradient
 * computed in the same pass (Liger Kernel's fused linear cross-entropy): per chunk the head's logits, their
 * log-softmax, the target's log-prob and d logp / d hidden = W[target] - softmax @ W, then the chunk is
 * dropped, so no (rows, V) tensor outlives its chunk and the backward pass needs no logits at all. A chunk's
 * log-probs and slopes leave it as one tensor, so that onnxruntime finishes one chunk before the next.
 *
 * hidden (R, C); weight (V, C), frozen (no gradient flows to it: a trainable head is a loud error);
 * positions and targets int64 (M, K): M chunks (a known number) of K rows each, positions index hidden.
 * `differentiable: false` (scoring, evaluation) leaves the slopes out. Returns (M, K).
 */
export function linearTokenLogProbs(
  hidden: Tensor,
  weight: Tensor,
  positions: Tensor,
  targets: Tensor,
  options: { differentiable?: boolean; softcap?: number | null } = {},
): Tensor {
  const chunks = positions.shape[0];
  const width = hidden.shape[1];
  if (
    hidden.rank !== 2 ||
    weight.rank !== 2 ||
    positions.rank !== 2 ||
    typeof chunks !== 'number' ||
    typeof width !== 'number'
  )
    throw new Error(
      `linearTokenLogProbs: expected hidden (R, C), weight (V, C), positions (M, K) with M and C known; ` +
        `got ${formatShape(hidden.shape)}, ${formatShape(weight.shape)}, ${formatShape(positions.shape)}`,
    );
  const g = hidden.graph;
  const differentiable = options.differentiable ?? true;
  const headT = transposeLast(weight); // (C, V)
  const parts: Tensor[] = [];
  for (let m = 0; m < chunks; m++) {
    const at = g.scalar(m, 'int64');
    const wanted = gather(targets, at, 0); // (K)
    const h = gather(hidden, gather(positions, at, 0), 0); // (K, C)
    const raw = matmul(h, headT); // (K, V)
    const cap = options.softcap ?? null;
    // Gemma's final_logit_softcapping: z = cap tanh(raw / cap), dz/draw = 1 - (z / cap)^2.
    const capped = cap === null ? raw : mul(tanh(mul(raw, 1 / cap)), cap);
    const logProbs = logSoftmax(capped, -1); // (K, V)
    const index = unsqueeze(wanted, [-1]); // (K, 1)
    const logp = gatherElements(logProbs, index, -1); // (K, 1)
    if (!differentiable) {
      parts.push(unsqueeze(logp, [0])); // (1, K, 1)
      continue;
    }
    let slope: Tensor; // d logp / d h = (one_hot - softmax) dz/draw W, (K, C)
    if (cap === null) slope = sub(gather(weight, wanted, 0), matmul(exp(logProbs), weight));
    else {
      const ratio = mul(capped, 1 / cap);
      const dz = sub(1, mul(ratio, ratio)); // (K, V)
      const atTarget = mul(gatherElements(dz, index, -1), gather(weight, wanted, 0)); // (K, C)
      slope = sub(atTarget, matmul(mul(exp(logProbs), dz), weight));
    }
    parts.push(unsqueeze(concat([logp, slope], -1), [0])); // (1, K, 1+C)
  }
  const all = concat(parts, 0); // (M, K, 1) or (M, K, 1+C)
  const logps = squeeze(slice(all, -1, 0, 1), [-1]); // (M, K)
  if (!differentiable) return logps;
  return g.withGradient(logps, {
    wrt: [hidden, weight],
    rule: (grad) => {
      const slope = slice(all, -1, 1, 1 + width); // (M, K, C)
      const dRows = mul(unsqueeze(grad, [-1]), slope); // (M, K, C)
      return [scatterNDAdd(zerosLike(hidden), unsqueeze(positions, [-1]), dRows), undefined]; // (R, C)
    },
  });
}
