// One config.json parser per family, each mirroring its transformers configuration class (defaults
// included): LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config, Gemma3TextConfig, Phi3Config,
// SmolLM3Config, GPT2Config. They only fill ModelConfig's switches; values the transformer cannot compute
// are refused by name.
import type { Architecture, LayerSpec, ModelConfig } from './config';
import { readRopeScaling, type Reader } from './config-reader';

type Parser = (r: Reader, architecture: Architecture) => ModelConfig;

function silu(r: Reader, key = 'hidden_act'): void {
  r.oneOf(key, ['silu'], 'silu');
}

const everyLayer = (n: number, spec: LayerSpec): LayerSpec[] =>
  Array.from({ length: n }, () => ({ ...spec }));

/** The keys LlamaConfig and its descendants share; `defaults` holds the class's own defaults. */
function decoderBase(
  r: Reader,
  architecture: Architecture,
  defaults: { tied: boolean; eps: number; headDim?: number; theta?: number; partialRotary?: boolean },
): ModelConfig {
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  const numLayers = r.int('num_hidden_layers');
  const headDim = r.has('head_dim') ? r.int('head_dim') : (defaults.headDim ?? hiddenSize / numHeads);
  // Only Phi-3 rotates part of each head (its apply_rotary_pos_emb passes the rest through).
  const rotaryDim = defaults.partialRotary
    ? Math.floor(headDim * r.number('partial_rotary_factor', 1))
    : headDim;
  const maxPositions = r.int('max_position_embeddings');
  const attentionBias = r.bool('attention_bias', false);
  return {
    architecture,
    modelType: r.string('model_type') ?? '',
    weightLayout: 'llama',
    hiddenSize,
    intermediateSize: r.int('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads: r.int('num_key_value_heads', numHeads),
    headDim,
    vocabSize: r.int('vocab_size'),
    maxPositions,
    norm: 'rmsnorm',
    normEps: r.number('rms_norm_eps', defaults.eps),
    normUnitOffset: false,
    qkNorm: false,
    blockOutputNorms: false,
    embedScale: null,
    mlp: 'gated-silu',
    positions: 'rope',
    ropeTheta: r.number('rope_theta', defaults.theta ?? 10000),
    ropeScaling: readRopeScaling(r, rotaryDim, maxPositions),
    rotaryDim,
    localRope: null,
    attentionScale: 1 / Math.sqrt(headDim),
    qkvBias: attentionBias,
    attnOutBias: attentionBias,
    mlpBias: r.bool('mlp_bias', false),
    slidingWindow: null,
    layers: everyLayer(numLayers, { sliding: false, rope: 'global' }),
    finalLogitSoftcap: null,
    tiedEmbeddings: r.bool('tie_word_embeddings', defaults.tied),
    bosTokenId: r.optionalId('bos_token_id'),
    eosTokenIds: r.ids('eos_token_id'),
    padTokenId: r.optionalId('pad_token_id'),
    torchDtype: r.string('torch_dtype') ?? r.string('dtype'),
  };
}

/** Qwen2/Qwen3/SmolLM3 ship use_sliding_window false; their sliding variants are not built. */
function refuseSlidingWindow(r: Reader): void {
  if (r.bool('use_sliding_window', false)) r.fail('use_sliding_window', 'is not supported (false)');
}

/** modeling_llama.py; attention_bias puts biases on q, k, v and o, mlp_bias on the MLP. */
const llama: Parser = (r, architecture) => {
  silu(r);
  return decoderBase(r, architecture, { tied: false, eps: 1e-6 });
};

/** modeling_mistral.py: no biases; sliding_window on every layer when set. */
const mistral: Parser = (r, architecture) => {
  silu(r);
  const c = decoderBase(r, architecture, { tied: false, eps: 1e-6 });
  const window = r.get('sliding_window');
  const slidingWindow = typeof window === 'number' ? window : null;
  const layers = everyLayer(c.numLayers, { sliding: slidingWindow !== null, rope: 'global' });
  return { ...c, qkvBias: false, attnOutBias: false, mlpBias: false, slidingWindow, layers };
};

/** modeling_qwen2.py: q, k and v always biased, o and the MLP never. */
const qwen2: Parser = (r, architecture) => {
  silu(r);
  if (r.bool('use_sliding_window', false))
    throw new Error(`${r.file}: use_sliding_window is not supported for Qwen2 checkpoints`);
  const c = decoderBase(r, architecture, { tied: false, eps: 1e-6 });
  return { ...c, qkvBias: true, attnOutBias: false, mlpBias: false };
};

/** modeling_qwen3.py: q_norm / k_norm (RMSNorm over head_dim) before RoPE; head_dim explicit (default 128). */
const qwen3: Parser = (r, architecture) => {
  silu(r);
  refuseSlidingWindow(r);
  const c = decoderBase(r, architecture, { tied: false, eps: 1e-6, headDim: 128 });
  return { ...c, qkNorm: true, mlpBias: false };
};

/**
 * modeling_smollm3.py: Llama with layers that skip RoPE. no_rope_layers[i] = 1 means layer i uses RoPE;
 * absent, every no_rope_layer_interval-th layer (1-based) skips it. Tied embeddings by default.
 */
const smollm3: Parser = (r, architecture) => {
  silu(r);
  refuseSlidingWindow(r);
  const c = decoderBase(r, architecture, { tied: true, eps: 1e-6, theta: 2000000 });
  const interval = r.int('no_rope_layer_interval', 4);
  const flags =
    r.list('no_rope_layers', c.numLayers, (v): v is number => v === 0 || v === 1, '0 or 1 flags') ??
    Array.from({ length: c.numLayers }, (_, i) => ((i + 1) % interval !== 0 ? 1 : 0));
  const layers = flags.map((f): LayerSpec => ({ sliding: false, rope: f === 1 ? 'global' : 'none' }));
  return { ...c, layers };
};

/**
 * modeling_phi3.py: fused qkv_proj and gate_up_proj (the weight table splits them), partial rotary
 * (partial_rotary_factor), longrope scaling, sliding_window on every layer when set, no biases.
 */
const phi3: Parser = (r, architecture) => {
  silu(r);
  const c = decoderBase(r, architecture, { tied: false, eps: 1e-5, partialRotary: true });
  const window = r.get('sliding_window');
  const slidingWindow = typeof window === 'number' ? r.int('sliding_window') : null;
  return {
    ...c,
    weightLayout: 'phi3',
    qkvBias: false,
    attnOutBias: false,
    mlpBias: false,
    slidingWindow,
    layers: everyLayer(c.numLayers, { sliding: slidingWindow !== null, rope: 'global' }),
  };
};

const LAYER_TYPES = ['sliding_attention', 'full_attention'] as const;
const isLayerType = (v: unknown): v is (typeof LAYER_TYPES)[number] => LAYER_TYPES.includes(v as never);

/**
 * modeling_gemma3.py (Gemma3ForCausalLM, text only): RMSNorm x (1 + w), embeddings times sqrt(hidden_size),
 * gelu-tanh gated MLP, q_norm / k_norm, four norms per layer, scores scaled by query_pre_attn_scalar^-0.5,
 * sliding layers (rope_local_base_freq, no scaling) and full layers (rope_theta with rope_scaling) from
 * layer_types or, in older configs, every sliding_window_pattern-th layer full. attn_logit_softcapping is
 * stored by transformers but never applied, so it is read and ignored; final_logit_softcapping is applied.
 */
const gemma3: Parser = (r, architecture) => {
  r.oneOf(
    r.has('hidden_activation') ? 'hidden_activation' : 'hidden_act',
    ['gelu_pytorch_tanh'],
    'gelu_pytorch_tanh',
  );
  if (r.bool('use_bidirectional_attention', false))
    r.fail('use_bidirectional_attention', 'is not supported (false)');
  const c = decoderBase(r, architecture, { tied: true, eps: 1e-6, headDim: 256, theta: 1000000 });
  const pattern = r.int('sliding_window_pattern', 6);
  const types =
    r.list('layer_types', c.numLayers, isLayerType, `of ${LAYER_TYPES.join(' / ')}`) ??
    Array.from({ length: c.numLayers }, (_, i) =>
      (i + 1) % pattern !== 0 ? LAYER_TYPES[0] : LAYER_TYPES[1],
    );
  const layers = types.map((t): LayerSpec => {
    const sliding = t === 'sliding_attention';
    return { sliding, rope: sliding ? 'local' : 'global' };
  });
  // Gemma3TextScaledWordEmbedding: a float32 tensor sqrt(hidden_size) cast to the weights' dtype; the
  // engine computes in float32.
  const embedScale = Math.fround(Math.sqrt(c.hiddenSize));
  return {
    ...c,
    weightLayout: 'gemma3',
    normUnitOffset: true,
    qkNorm: true,
    blockOutputNorms: true,
    embedScale,
    mlp: 'gated-gelu-tanh',
    localRope: { theta: r.number('rope_local_base_freq', 10000), scaling: { type: 'none' } },
    attentionScale: Math.pow(r.number('query_pre_attn_scalar', 256), -0.5),
    mlpBias: false,
    slidingWindow: r.int('sliding_window', 4096),
    layers,
    finalLogitSoftcap: r.optionalNumber('final_logit_softcapping'),
  };
};

/** modeling_gpt2.py: LayerNorm, learned positions, Conv1D (fused c_attn), gelu_new, tied head. */
const gpt2: Parser = (r) => {
  const hiddenSize = r.int('n_embd', 768);
  const numHeads = r.int('n_head', 12);
  const numLayers = r.int('n_layer', 12);
  r.oneOf('activation_function', ['gelu_new'], 'gelu_new');
  for (const key of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'add_cross_attention']) {
    if (r.bool(key, false)) throw new Error(`${r.file}: ${key} is not supported`);
  }
  if (!r.bool('scale_attn_weights', true))
    throw new Error(`${r.file}: scale_attn_weights=false is not supported`);
  const inner = r.get('n_inner');
  const headDim = hiddenSize / numHeads;
  return {
    architecture: 'GPT2LMHeadModel',
    modelType: r.string('model_type') ?? 'gpt2',
    weightLayout: 'gpt2',
    hiddenSize,
    intermediateSize: inner === null || inner === undefined ? 4 * hiddenSize : r.int('n_inner'),
    numLayers,
    numHeads,
    numKvHeads: numHeads,
    headDim,
    vocabSize: r.int('vocab_size', 50257),
    maxPositions: r.int('n_positions', 1024),
    norm: 'layernorm',
    normEps: r.number('layer_norm_epsilon', 1e-5),
    normUnitOffset: false,
    qkNorm: false,
    blockOutputNorms: false,
    embedScale: null,
    mlp: 'gelu-new',
    positions: 'learned',
    ropeTheta: 0,
    ropeScaling: { type: 'none' },
    rotaryDim: headDim,
    localRope: null,
    attentionScale: 1 / Math.sqrt(headDim),
    qkvBias: true,
    attnOutBias: true,
    mlpBias: true,
    slidingWindow: null,
    layers: everyLayer(numLayers, { sliding: false, rope: 'none' }),
    finalLogitSoftcap: null,
    tiedEmbeddings: r.bool('tie_word_embeddings', true),
    bosTokenId: r.optionalId('bos_token_id'),
    eosTokenIds: r.ids('eos_token_id'),
    padTokenId: r.optionalId('pad_token_id'),
    torchDtype: r.string('torch_dtype') ?? r.string('dtype'),
  };
};

export const FAMILY_PARSERS: Record<Architecture, Parser> = {
  LlamaForCausalLM: llama,
  MistralForCausalLM: mistral,
  Qwen2ForCausalLM: qwen2,
  Qwen3ForCausalLM: qwen3,
  Gemma3ForCausalLM: gemma3,
  Phi3ForCausalLM: phi3,
  SmolLM3ForCausalLM: smollm3,
  GPT2LMHeadModel: gpt2,
};
