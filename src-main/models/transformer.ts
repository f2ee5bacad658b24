// One decoder-only transformer over the engine's DSL, serving every family through ModelConfig's switches
// (norm, mlp, positions, kv heads, biases, tied head, q/k norm, block-output norms, sliding-window and
// RoPE-less layers, partial rotary, logit softcap), with optional LoRA branches. Builds
// the scoring graph (full sequences -> logits, per-token log-probs) and prefill/decode graphs with a KV cache.
import {
  add,
  attention,
  concat,
  dimOf,
  gather,
  geluNew,
  Graph,
  layerNorm,
  linear,
  mul,
  range,
  recomputed,
  reshape,
  rmsNorm,
  silu,
  sub,
  tanh,
  tokenLogProbs,
  transpose,
  widenWeight,
  type Dim,
  type Tensor,
} from '../engine/index';
import type { LayerSpec, ModelConfig } from './config';
import { forwardContext, layerMask, rotate, type ForwardContext } from './forward-context';
import type { LoraWeights } from './lora';
import { isHalf, widen, type WeightTensor } from './safetensors';

/** A LoRA pair on one projection as graph tensors: y += scale * (x A^T) B^T, A (r, in), B (out, r) (PEFT). */
export interface LoraTensors {
  a: Tensor;
  b: Tensor;
  scale: number;
}

/**
 * The weights by canonical name; LoRA on projections. Frozen ones are fed weights (Graph.weight): kept out
 * of the model in their stored dtype, one copy shared by every graph, widened to float32 where used, after
 * the current layer's input (`after`), so a run widens one layer at a time. For full-parameter training
 * they are trainable float32 params instead.
 */
class Weights {
  private readonly params = new Map<string, Tensor>();
  private readonly words = new Map<string, Tensor>();
  /** The gate each cached float32 weight was widened after. */
  private readonly gates = new Map<string, Tensor | undefined>();
  private gate: Tensor | undefined;

  constructor(
    private readonly graph: Graph,
    private readonly weights: ReadonlyMap<string, WeightTensor>,
    private readonly lora: ReadonlyMap<string, LoraTensors> | undefined,
    private readonly trainable = false,
  ) {}

  /** Weights used from now on are widened after `x` (the next layer's input). */
  after(x: Tensor): void {
    this.gate = x;
  }

  get(name: string): Tensor {
    const cached = this.params.get(name);
    if (cached && (this.trainable || this.gates.get(name) === this.gate)) return cached;
    const param = this.trainable
      ? this.graph.param(name, widen(this.stored(name)).data, this.stored(name).dims, { trainable: true })
      : widenWeight(this.leaf(name), this.gate);
    this.params.set(name, param);
    this.gates.set(name, this.gate);
    return param;
  }

  /** Rows `ids` of a table (embeddings): gathered from the stored words, then widened (B, T, C). */
  rows(name: string, ids: Tensor): Tensor {
    return this.trainable ? gather(this.get(name), ids) : widenWeight(gather(this.leaf(name), ids));
  }

  private stored(name: string): WeightTensor {
    const w = this.weights.get(name);
    if (!w) throw new Error(`transformer: weight ${name} is missing (load it with loadCheckpoint)`);
    return w;
  }

  private leaf(name: string): Tensor {
    const cached = this.words.get(name);
    if (cached) return cached;
    const w = this.stored(name);
    const leaf = this.graph.weight(name, isHalf(w) ? w.dtype : 'float32', w.data, w.dims);
    this.words.set(name, leaf);
    return leaf;
  }

  /** The projection `name` (e.g. layers.0.attn.q) of x, with its bias when `bias`, plus its LoRA if any. */
  project(name: string, x: Tensor, bias: boolean): Tensor {
    const y = linear(x, this.get(`${name}.weight`), bias ? this.get(`${name}.bias`) : undefined); // (B, T, out)
    const lora = this.lora?.get(name);
    if (!lora) return y;
    return add(y, mul(linear(linear(x, lora.a), lora.b), lora.scale)); // (B, T, out)
  }
}

export interface KvCache {
  key: Tensor; // (B, Hkv, P, D)
  value: Tensor; // (B, Hkv, P, D)
}

/** The norm `prefix` of x; Gemma's RMSNorm scales by (1 + weight) (Gemma3RMSNorm). */
function norm(c: ModelConfig, w: Weights, prefix: string, x: Tensor): Tensor {
  const weight = w.get(`${prefix}.weight`);
  if (c.norm === 'layernorm') return layerNorm(x, weight, w.get(`${prefix}.bias`), c.normEps);
  return rmsNorm(x, c.normUnitOffset ? add(weight, 1) : weight, c.normEps);
}

/** (B, T, n*D) -> (B, n, T, D) */
function splitHeads(x: Tensor, heads: number, headDim: number): Tensor {
  const [b, t] = x.shape as [Dim, Dim];
  return transpose(reshape(x, [b, t, heads, headDim]), [0, 2, 1, 3]);
}

/**
 * Self-attention of layer i on the normed input h, as transformers' LlamaAttention (models/llama/
 * modeling_llama.py); Qwen3Attention (models/qwen3/modeling_qwen3.py) and Gemma3Attention
 * (models/gemma3/modeling_gemma3.py) RMSNorm each head of q and k over head_dim before RoPE, Gemma 3 scales
 * scores by query_pre_attn_scalar^-0.5 and picks its RoPE and mask by layer type; Phi3Attention
 * (models/phi3/modeling_phi3.py) rotates only the first rotary dims; SmolLM3Attention
 * (models/smollm3/modeling_smollm3.py) skips RoPE on its no-RoPE layers. Phi-3's fused qkv_proj arrives
 * split into q, k and v by the weight table.
 */
function attentionBlock(
  c: ModelConfig,
  w: Weights,
  i: number,
  h: Tensor,
  ctx: ForwardContext,
  past: KvCache | undefined,
): { out: Tensor; cache: KvCache } {
  const p = `layers.${i}.attn`;
  const layer = c.layers[i] as LayerSpec;
  const project = (name: string, bias: boolean): Tensor => w.project(`${p}.${name}`, h, bias);
  let q = splitHeads(project('q', c.qkvBias), c.numHeads, c.headDim); // (B, H, T, D)
  let k = splitHeads(project('k', c.qkvBias), c.numKvHeads, c.headDim); // (B, Hkv, T, D)
  let v = splitHeads(project('v', c.qkvBias), c.numKvHeads, c.headDim); // (B, Hkv, T, D)
  if (c.qkNorm) {
    q = norm(c, w, `${p}.qNorm`, q); // (B, H, T, D)
    k = norm(c, w, `${p}.kNorm`, k); // (B, Hkv, T, D)
  }
  q = rotate(c, ctx, layer, q);
  k = rotate(c, ctx, layer, k);
  if (past) {
    k = concat([past.key, k], 2); // (B, Hkv, P+T, D)
    v = concat([past.value, v], 2); // (B, Hkv, P+T, D)
  }
  const mask = layerMask(ctx, layer);
  const y = transpose(attention(q, k, v, { mask, scale: c.attentionScale }), [0, 2, 1, 3]); // (B, T, H, D)
  const [b, t] = h.shape as [Dim, Dim];
  const merged = reshape(y, [b, t, c.numHeads * c.headDim]); // (B, T, H*D)
  const out = w.project(`${p}.o`, merged, c.attnOutBias); // (B, T, C)
  return { out, cache: { key: k, value: v } };
}

function mlpBlock(c: ModelConfig, w: Weights, i: number, h: Tensor): Tensor {
  const p = `layers.${i}.mlp`;
  const project = (name: string, x: Tensor): Tensor => w.project(`${p}.${name}`, x, c.mlpBias);
  if (c.mlp === 'gated-silu') return project('down', mul(silu(project('gate', h)), project('up', h))); // (B, T, C)
  // Gemma's gelu_pytorch_tanh is the same tanh approximation as GPT-2's gelu_new.
  if (c.mlp === 'gated-gelu-tanh') return project('down', mul(geluNew(project('gate', h)), project('up', h)));
  return project('down', geluNew(project('up', h))); // (B, T, C)
}

/**
 * One pre-norm block (LlamaDecoderLayer); Gemma3DecoderLayer also norms each sublayer's output
 * (post_attention_layernorm, post_feedforward_layernorm) before the residual add.
 */
function block(
  c: ModelConfig,
  w: Weights,
  i: number,
  x: Tensor,
  ctx: ForwardContext,
  past: KvCache | undefined,
): { x: Tensor; cache: KvCache } {
  const p = `layers.${i}`;
  const attn = attentionBlock(c, w, i, norm(c, w, `${p}.norm1`, x), ctx, past);
  const attnOut = c.blockOutputNorms ? norm(c, w, `${p}.attnOutNorm`, attn.out) : attn.out; // (B, T, C)
  const mid = add(x, attnOut); // (B, T, C)
  const mlp = mlpBlock(c, w, i, norm(c, w, `${p}.norm2`, mid)); // (B, T, C)
  const mlpOut = c.blockOutputNorms ? norm(c, w, `${p}.mlpOutNorm`, mlp) : mlp; // (B, T, C)
  return { x: add(mid, mlpOut), cache: attn.cache };
}

/**
 * The LM head: the final norm's output times the (tied) head, then Gemma's final_logit_softcapping
 * (cap * tanh(logits / cap)) where the config sets it. A head that works on chunks applies the cap per chunk.
 */
export function lmHeadLogits(c: ModelConfig, x: Tensor, head: Tensor): Tensor {
  const logits = linear(x, head); // (..., V)
  return c.finalLogitSoftcap === null ? logits : softcap(logits, c.finalLogitSoftcap);
}

const softcap = (x: Tensor, cap: number): Tensor => mul(tanh(mul(x, 1 / cap)), cap);

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
  weights: ReadonlyMap<string, WeightTensor>,
  inputs: ForwardInputs,
): { logits: Tensor; cache: KvCache[] } {
  const { hidden, head, cache } = decoder(c, weights, inputs);
  return { logits: lmHeadLogits(c, hidden, head), cache }; // (B, T, V)
}

/**
 * The final hidden states (B, T, C) after the last norm, the LM head's weight (V, C) and the KV caches:
 * everything but the head, for callers that run the head only where they need it. `recompute` rebuilds each
 * layer's activations in the backward pass instead of keeping them (training without a cache).
 */
export function decoder(
  c: ModelConfig,
  weights: ReadonlyMap<string, WeightTensor>,
  inputs: ForwardInputs & { recompute?: boolean },
): { hidden: Tensor; head: Tensor; cache: KvCache[] } {
  const g = inputs.inputIds.graph;
  const w = new Weights(g, weights, inputs.lora, inputs.trainable);
  const seq = inputs.inputIds.shape[1] as Dim;
  const keyCount = reshape(dimOf(inputs.attentionMask, 1), []); // P+T, int64 scalar
  const start = sub(keyCount, reshape(dimOf(inputs.inputIds, 1), [])); // P
  const queryIndex = range(start, keyCount, seq); // (T)
  const positions = inputs.positionIds ?? queryIndex; // (T) or (B, T)
  const ctx = forwardContext(c, positions, queryIndex, keyCount, inputs.attentionMask);
  if (inputs.recompute && inputs.past)
    throw new Error('transformer: recompute is for training, without a cache');
  let x = w.rows('embed.weight', inputs.inputIds); // (B, T, C)
  if (c.embedScale !== null) x = mul(x, c.embedScale); // (B, T, C) Gemma's scaled embedding
  if (c.positions === 'learned') x = add(x, w.rows('positions.weight', positions)); // (B, T, C)
  const cache: KvCache[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    w.after(x);
    const layer = (h: Tensor): Tensor => {
      const out = block(c, w, i, h, ctx, inputs.past?.[i]);
      cache.push(out.cache);
      return out.x; // (B, T, C)
    };
    x = inputs.recompute ? recomputed(x, layer) : layer(x);
  }
  w.after(x);
  const hidden = norm(c, w, 'norm', x); // (B, T, C)
  return { hidden, head: w.get(c.tiedEmbeddings ? 'embed.weight' : 'lmHead.weight'), cache };
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
  weights: ReadonlyMap<string, WeightTensor>,
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
  weights: ReadonlyMap<string, WeightTensor>,
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
