// One decoder-only transformer over the engine's DSL, serving every family through ModelConfig's switches
// (norm, mlp, positions, kv heads, biases, tied head, sliding window), with optional LoRA branches. Builds
// the scoring graph (full sequences -> logits, per-token log-probs) and prefill/decode graphs with a KV cache.
import {
  add,
  applyRope,
  attention,
  cast,
  concat,
  cos,
  dimOf,
  equal,
  gather,
  geluNew,
  Graph,
  greater,
  layerNorm,
  lessOrEqual,
  linear,
  logicalAnd,
  mul,
  range,
  reshape,
  rmsNorm,
  silu,
  sin,
  sub,
  tokenLogProbs,
  transpose,
  unsqueeze,
  type Dim,
  type Tensor,
} from '../engine/index';
import type { ModelConfig } from './config';
import { ropeInverseFrequencies } from './rope';
import type { LoraWeights } from './lora';
import type { FloatTensor } from './safetensors';

/** A LoRA pair on one projection as graph tensors: y += scale * (x A^T) B^T, A (r, in), B (out, r) (PEFT). */
export interface LoraTensors {
  a: Tensor;
  b: Tensor;
  scale: number;
}

/** The frozen weights as graph params (initializers), looked up by canonical name; LoRA on projections. */
class Weights {
  private readonly params = new Map<string, Tensor>();

  constructor(
    private readonly graph: Graph,
    private readonly weights: ReadonlyMap<string, FloatTensor>,
    private readonly lora: ReadonlyMap<string, LoraTensors> | undefined,
    private readonly trainable = false,
  ) {}

  get(name: string): Tensor {
    const cached = this.params.get(name);
    if (cached) return cached;
    const w = this.weights.get(name);
    if (!w) throw new Error(`transformer: weight ${name} is missing (load it with loadCheckpoint)`);
    const param = this.graph.param(name, w.data, w.dims, { trainable: this.trainable });
    this.params.set(name, param);
    return param;
  }

  /** The projection `name` (e.g. layers.0.attn.q) of x, with its bias when `bias`, plus its LoRA if any. */
  project(name: string, x: Tensor, bias: boolean): Tensor {
    const y = linear(x, this.get(`${name}.weight`), bias ? this.get(`${name}.bias`) : undefined); // (B, T, out)
    const lora = this.lora?.get(name);
    if (!lora) return y;
    return add(y, mul(linear(linear(x, lora.a), lora.b), lora.scale)); // (B, T, out)
  }
}

/** Per-forward values shared by every layer: positions, RoPE tables and the attention mask. */
interface Context {
  cos?: Tensor; // (T, D) or (B, 1, T, D)
  sin?: Tensor; // (T, D) or (B, 1, T, D)
  allowed: Tensor; // (B, 1, T, Tk) bool
}

export interface KvCache {
  key: Tensor; // (B, Hkv, P, D)
  value: Tensor; // (B, Hkv, P, D)
}

function norm(c: ModelConfig, w: Weights, prefix: string, x: Tensor): Tensor {
  if (c.norm === 'rmsnorm') return rmsNorm(x, w.get(`${prefix}.weight`), c.normEps);
  return layerNorm(x, w.get(`${prefix}.weight`), w.get(`${prefix}.bias`), c.normEps);
}

/** (B, T, n*D) -> (B, n, T, D) */
function splitHeads(x: Tensor, heads: number, headDim: number): Tensor {
  const [b, t] = x.shape as [Dim, Dim];
  return transpose(reshape(x, [b, t, heads, headDim]), [0, 2, 1, 3]);
}

function attentionBlock(
  c: ModelConfig,
  w: Weights,
  i: number,
  h: Tensor,
  ctx: Context,
  past: KvCache | undefined,
): { out: Tensor; cache: KvCache } {
  const p = `layers.${i}.attn`;
  const project = (name: string, bias: boolean): Tensor => w.project(`${p}.${name}`, h, bias);
  let q = splitHeads(project('q', c.qkvBias), c.numHeads, c.headDim); // (B, H, T, D)
  let k = splitHeads(project('k', c.qkvBias), c.numKvHeads, c.headDim); // (B, Hkv, T, D)
  let v = splitHeads(project('v', c.qkvBias), c.numKvHeads, c.headDim); // (B, Hkv, T, D)
  if (ctx.cos && ctx.sin) {
    q = applyRope(q, ctx.cos, ctx.sin);
    k = applyRope(k, ctx.cos, ctx.sin);
  }
  if (past) {
    k = concat([past.key, k], 2); // (B, Hkv, P+T, D)
    v = concat([past.value, v], 2); // (B, Hkv, P+T, D)
  }
  const y = transpose(attention(q, k, v, { mask: ctx.allowed }), [0, 2, 1, 3]); // (B, T, H, D)
  const [b, t] = h.shape as [Dim, Dim];
  const merged = reshape(y, [b, t, c.numHeads * c.headDim]); // (B, T, H*D)
  const out = w.project(`${p}.o`, merged, c.attnOutBias); // (B, T, C)
  return { out, cache: { key: k, value: v } };
}

function mlpBlock(c: ModelConfig, w: Weights, i: number, h: Tensor): Tensor {
  const p = `layers.${i}.mlp`;
  const project = (name: string, x: Tensor): Tensor => w.project(`${p}.${name}`, x, c.mlpBias);
  if (c.mlp === 'gated-silu') return project('down', mul(silu(project('gate', h)), project('up', h))); // (B, T, C)
  return project('down', geluNew(project('up', h))); // (B, T, C)
}

/**
 * Which keys each query may see, (B, 1, T, Tk): causal (query i sits at position i + Tk - T), inside the
 * sliding window when there is one (position - key < window, as transformers' sliding_window_overlay), and
 * not padding (attention_mask == 1 on the key).
 */
function allowedKeys(c: ModelConfig, queryIndex: Tensor, keyCount: Tensor, keyMask: Tensor): Tensor {
  const g = queryIndex.graph;
  const tk = keyMask.shape[1] as Dim;
  const cols = range(g.scalar(0, 'int64'), keyCount, tk); // (Tk)
  const query = unsqueeze(queryIndex, [1]); // (T, 1)
  let allowed = lessOrEqual(unsqueeze(cols, [0]), query); // (T, Tk)
  if (c.slidingWindow !== null) {
    allowed = logicalAnd(allowed, greater(unsqueeze(cols, [0]), sub(query, c.slidingWindow))); // (T, Tk)
  }
  const notPadding = unsqueeze(equal(keyMask, 1), [1, 2]); // (B, 1, 1, Tk)
  return logicalAnd(allowed, notPadding); // (B, 1, T, Tk)
}

/** cos and sin for positions (T) -> (T, D), or per row (B, T) -> (B, 1, T, D); both broadcast over heads. */
function ropeTables(c: ModelConfig, positions: Tensor): { cos: Tensor; sin: Tensor } {
  const invFreq = positions.graph.constant(ropeInverseFrequencies(c), [c.headDim / 2]); // (D/2)
  const freqs = mul(unsqueeze(cast(positions, 'float32'), [-1]), invFreq); // (..., T, D/2)
  let angles = concat([freqs, freqs], -1); // (..., T, D)
  if (positions.rank === 2) angles = unsqueeze(angles, [1]); // (B, 1, T, D)
  return { cos: cos(angles), sin: sin(angles) };
}

export interface ForwardInputs {
  inputIds: Tensor; // (B, T) int64
  /** 1 for real tokens, 0 for padding, over the cached and the new positions: (B, P+T) int64 */
  attentionMask: Tensor;
  /** One cache per layer from earlier steps; positions continue after them. */
  past?: readonly KvCache[];
  /**
   * (B, T) int64 positions for RoPE or the learned table, for left-padded batches (transformers' generate
   * uses cumsum(attention_mask) - 1). Default: P..P+T-1 for every row, as transformers without position_ids.
   */
  positionIds?: Tensor;
  /** LoRA pairs by projection name (`layers.{i}.attn.q|k|v|o`, `layers.{i}.mlp.gate|up|down`). */
  lora?: ReadonlyMap<string, LoraTensors>;
  /** Full-parameter training: every weight becomes a trainable param (a graph input), not an initializer. */
  trainable?: boolean;
}

/** Logits (B, T, V) and each layer's updated KV cache. The causal mask goes by index, P..P+T-1. */
export function forward(
  c: ModelConfig,
  weights: ReadonlyMap<string, FloatTensor>,
  inputs: ForwardInputs,
): { logits: Tensor; cache: KvCache[] } {
  const g = inputs.inputIds.graph;
  const w = new Weights(g, weights, inputs.lora, inputs.trainable);
  const seq = inputs.inputIds.shape[1] as Dim;
  const keyCount = reshape(dimOf(inputs.attentionMask, 1), []); // P+T, int64 scalar
  const start = sub(keyCount, reshape(dimOf(inputs.inputIds, 1), [])); // P
  const queryIndex = range(start, keyCount, seq); // (T)
  const positions = inputs.positionIds ?? queryIndex; // (T) or (B, T)
  const ctx: Context = {
    ...(c.positions === 'rope' ? ropeTables(c, positions) : {}),
    allowed: allowedKeys(c, queryIndex, keyCount, inputs.attentionMask),
  };
  let x = gather(w.get('embed.weight'), inputs.inputIds); // (B, T, C)
  if (c.positions === 'learned') x = add(x, gather(w.get('positions.weight'), positions)); // (B, T, C)
  const cache: KvCache[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const attn = attentionBlock(c, w, i, norm(c, w, `layers.${i}.norm1`, x), ctx, inputs.past?.[i]);
    x = add(x, attn.out); // (B, T, C)
    x = add(x, mlpBlock(c, w, i, norm(c, w, `layers.${i}.norm2`, x))); // (B, T, C)
    cache.push(attn.cache);
  }
  x = norm(c, w, 'norm', x); // (B, T, C)
  const head = w.get(c.tiedEmbeddings ? 'embed.weight' : 'lmHead.weight');
  return { logits: linear(x, head), cache }; // (B, T, V)
}

export interface GraphOptions {
  /** Take a `position_ids` (batch, seq) int64 input (left-padded batches); default: positions by index. */
  positionIds?: boolean;
  /** A LoRA adapter (loadPeftAdapter) applied as frozen low-rank branches, not merged into the weights. */
  lora?: ReadonlyMap<string, LoraWeights>;
}

/** The graph inputs and frozen LoRA params the options ask for. */
function optionalInputs(g: Graph, options: GraphOptions): Pick<ForwardInputs, 'positionIds' | 'lora'> {
  const out: Pick<ForwardInputs, 'positionIds' | 'lora'> = {};
  if (options.positionIds) out.positionIds = g.input('position_ids', 'int64', ['batch', 'seq']);
  if (options.lora) {
    out.lora = new Map(
      [...options.lora].map(([name, l]) => [
        name,
        {
          a: g.param(`lora.${name}.A`, l.a.data, l.a.dims),
          b: g.param(`lora.${name}.B`, l.b.data, l.b.dims),
          scale: l.scale,
        },
      ]),
    );
  }
  return out;
}

/**
 * The scoring graph. Inputs: input_ids, attention_mask and targets, each (batch, seq) int64; targets[b, t]
 * is the token whose log-prob is read at position t (the next token). Outputs: logits (batch, seq, V) and
 * token_logprobs (batch, seq) = log softmax(logits)[targets].
 */
export function buildScoringGraph(
  c: ModelConfig,
  weights: ReadonlyMap<string, FloatTensor>,
  options: GraphOptions = {},
): Graph {
  const g = new Graph();
  const inputIds = g.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'seq']);
  const targets = g.input('targets', 'int64', ['batch', 'seq']);
  const { logits } = forward(c, weights, { inputIds, attentionMask, ...optionalInputs(g, options) });
  g.output('logits', logits);
  g.output('token_logprobs', tokenLogProbs(logits, targets));
  return g;
}

/**
 * A cached step. `past: false` gives the prefill graph (no cache in); `past: true` the decode graph, with
 * `past.{i}.key` / `past.{i}.value` (batch, Hkv, past, D) inputs and attention_mask over past+seq; fed an
 * empty cache (past = 0) it is also a prefill, so one session can serve both (tested on ORT CPU). Outputs:
 * `next_logits` (batch, V) at the last position, `token_logprobs` of `targets` (batch, seq) and
 * `present.{i}.key/value` (batch, Hkv, past+seq, D).
 */
export function buildCachedStepGraph(
  c: ModelConfig,
  weights: ReadonlyMap<string, FloatTensor>,
  options: GraphOptions & { past: boolean },
): Graph {
  const g = new Graph();
  const cacheShape = ['batch', c.numKvHeads, 'past', c.headDim];
  const inputIds = g.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', options.past ? 'past+seq' : 'seq']);
  const targets = g.input('targets', 'int64', ['batch', 'seq']);
  const past = options.past
    ? Array.from({ length: c.numLayers }, (_, i) => ({
        key: g.input(`past.${i}.key`, 'float32', cacheShape),
        value: g.input(`past.${i}.value`, 'float32', cacheShape),
      }))
    : undefined;
  const { logits, cache } = forward(c, weights, {
    inputIds,
    attentionMask,
    ...(past ? { past } : {}),
    ...optionalInputs(g, options),
  });
  const last = reshape(lastPosition(logits), [logits.shape[0] as Dim, c.vocabSize]); // (B, V)
  g.output('next_logits', last);
  g.output('token_logprobs', tokenLogProbs(logits, targets));
  cache.forEach((kv, i) => {
    g.output(`present.${i}.key`, kv.key);
    g.output(`present.${i}.value`, kv.value);
  });
  return g;
}

/** logits[:, -1:, :] -> (B, 1, V) */
function lastPosition(logits: Tensor): Tensor {
  const index = sub(dimOf(logits, 1), 1); // (1) int64
  return gather(logits, index, 1); // (B, 1, V)
}
