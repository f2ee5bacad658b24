// Per-forward values every layer shares: the RoPE tables (the global one, and Gemma 3's local one for
// sliding layers) and the attention masks (full causal, and causal within the sliding window), plus how a
// layer picks them and rotates q and k (Phi's partial rotary leaves the last dims of a head as they are).
import {
  applyRope,
  cast,
  concat,
  cos,
  equal,
  greater,
  lessOrEqual,
  logicalAnd,
  mul,
  range,
  reduceMax,
  sin,
  slice,
  sub,
  unsqueeze,
  where,
  type Dim,
  type Tensor,
} from '../engine/index';
import type { LayerSpec, ModelConfig } from './config';
import { ropeAttentionFactor, ropeInverseFrequencies, type RopeKind } from './rope';

export interface RopeTables {
  cos: Tensor; // (T, R) or (B, 1, T, R), R = rotary dim
  sin: Tensor;
}

export interface ForwardContext {
  rope: Partial<Record<RopeKind, RopeTables>>;
  /** (B, 1, T, Tk) bool: causal and not padding. */
  full: Tensor;
  /** The same, also inside the sliding window; present when some layer slides. */
  sliding?: Tensor;
}

/**
 * cos and sin for positions (T) -> (T, R), or per row (B, T) -> (B, 1, T, R); both broadcast over heads.
 * longrope (modeling_rope_utils.py's longrope_frequency_update) switches to the long factors when the
 * forward's largest position reaches original_max_position_embeddings, and scales cos and sin.
 */
function ropeTables(c: ModelConfig, kind: RopeKind, positions: Tensor): RopeTables {
  const g = positions.graph;
  const half = c.rotaryDim / 2;
  const scaling = kind === 'global' ? c.ropeScaling : c.localRope?.scaling;
  let invFreq = g.constant(ropeInverseFrequencies(c, kind), [half]); // (R/2)
  if (scaling?.type === 'longrope') {
    const long = greater(reduceMax(positions), scaling.originalMaxPositionEmbeddings - 1); // () bool
    invFreq = where(long, g.constant(ropeInverseFrequencies(c, kind, true), [half]), invFreq); // (R/2)
  }
  const freqs = mul(unsqueeze(cast(positions, 'float32'), [-1]), invFreq); // (..., T, R/2)
  let angles = concat([freqs, freqs], -1); // (..., T, R)
  if (positions.rank === 2) angles = unsqueeze(angles, [1]); // (B, 1, T, R)
  const factor = ropeAttentionFactor(c, kind);
  if (factor === 1) return { cos: cos(angles), sin: sin(angles) };
  return { cos: mul(cos(angles), factor), sin: mul(sin(angles), factor) };
}

/**
 * Which keys each query may see, (B, 1, T, Tk): causal (query i sits at position i + Tk - T), not padding
 * (attention_mask == 1 on the key), and for sliding layers inside the window (position - key < window, as
 * transformers' sliding_window_overlay: the last W positions, the query's own included).
 */
export function forwardContext(
  c: ModelConfig,
  positions: Tensor,
  queryIndex: Tensor,
  keyCount: Tensor,
  keyMask: Tensor,
): ForwardContext {
  const g = queryIndex.graph;
  const tk = keyMask.shape[1] as Dim;
  const cols = unsqueeze(range(g.scalar(0, 'int64'), keyCount, tk), [0]); // (1, Tk)
  const query = unsqueeze(queryIndex, [1]); // (T, 1)
  const notPadding = unsqueeze(equal(keyMask, 1), [1, 2]); // (B, 1, 1, Tk)
  const causal = lessOrEqual(cols, query); // (T, Tk)
  const ctx: ForwardContext = { rope: {}, full: logicalAnd(causal, notPadding) };
  if (c.slidingWindow !== null && c.layers.some((l) => l.sliding)) {
    const inWindow = greater(cols, sub(query, c.slidingWindow)); // (T, Tk)
    ctx.sliding = logicalAnd(logicalAnd(causal, inWindow), notPadding); // (B, 1, T, Tk)
  }
  if (c.positions === 'rope') {
    for (const kind of ['global', 'local'] as const) {
      if (c.layers.some((l) => l.rope === kind)) ctx.rope[kind] = ropeTables(c, kind, positions);
    }
  }
  return ctx;
}

export function layerMask(ctx: ForwardContext, layer: LayerSpec): Tensor {
  return layer.sliding && ctx.sliding ? ctx.sliding : ctx.full;
}

/** RoPE on the first rotaryDim dims of each head of x (B, H, T, D); the rest pass through (Phi-3). */
export function rotate(c: ModelConfig, ctx: ForwardContext, layer: LayerSpec, x: Tensor): Tensor {
  if (layer.rope === 'none') return x;
  const tables = ctx.rope[layer.rope];
  if (!tables) return x;
  if (c.rotaryDim === c.headDim) return applyRope(x, tables.cos, tables.sin);
  const rotated = applyRope(slice(x, -1, 0, c.rotaryDim), tables.cos, tables.sin); // (B, H, T, R)
  return concat([rotated, slice(x, -1, c.rotaryDim)], -1); // (B, H, T, D)
}
