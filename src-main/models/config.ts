// Hugging Face config.json -> one ModelConfig with explicit switches (litgpt's Config): the transformer reads
// only these switches, never the architecture name. Each architecture's defaults mirror its transformers
// configuration class; derived fields are checked in one place (checkConfig).

export type Architecture = 'LlamaForCausalLM' | 'MistralForCausalLM' | 'Qwen2ForCausalLM' | 'GPT2LMHeadModel';
export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = [
  'LlamaForCausalLM',
  'MistralForCausalLM',
  'Qwen2ForCausalLM',
  'GPT2LMHeadModel',
];

/** Which checkpoint-name table (weight-names.ts) applies. */
export type WeightLayout = 'llama' | 'gpt2';

export type RopeScaling =
  | { type: 'none' }
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

export interface ModelConfig {
  architecture: Architecture;
  weightLayout: WeightLayout;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  maxPositions: number;
  norm: 'rmsnorm' | 'layernorm';
  normEps: number;
  mlp: 'gated-silu' | 'gelu-new';
  positions: 'rope' | 'learned';
  ropeTheta: number;
  ropeScaling: RopeScaling;
  /** Biases on the q, k and v projections (Qwen2, GPT-2, Llama with attention_bias). */
  qkvBias: boolean;
  /** Bias on the attention output projection (GPT-2, Llama with attention_bias). */
  attnOutBias: boolean;
  mlpBias: boolean;
  /** Sliding-window attention: a query sees at most this many keys, itself included (Mistral). */
  slidingWindow: number | null;
  tiedEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  torchDtype: string | null;
}

type Raw = Record<string, unknown>;

class Reader {
  constructor(
    private readonly raw: Raw,
    private readonly file: string,
  ) {}

  private fail(key: string, what: string): never {
    throw new Error(`${this.file}: ${key} ${what}, got ${JSON.stringify(this.raw[key])}`);
  }

  int(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (v === undefined) this.fail(key, 'is required');
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(key, 'must be a positive integer');
    return v;
  }

  number(key: string, fallback: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'must be a number');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }

  optionalId(key: string): number | null {
    const v = this.raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(key, 'must be a token id');
    return v;
  }

  ids(key: string): number[] {
    const v = this.raw[key];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((id) => typeof id === 'number' && Number.isInteger(id) && id >= 0))
      this.fail(key, 'must be a token id or a list of them');
    return list as number[];
  }

  string(key: string): string | null {
    const v = this.raw[key];
    return typeof v === 'string' ? v : null;
  }

  get(key: string): unknown {
    return this.raw[key];
  }
}

function ropeScaling(r: Reader, file: string): RopeScaling {
  const raw = r.get('rope_scaling');
  if (raw === undefined || raw === null) return { type: 'none' };
  const s = new Reader(raw as Raw, `${file} rope_scaling`);
  const type = s.string('rope_type') ?? s.string('type');
  if (type === 'default') return { type: 'none' };
  if (type === 'linear') return { type, factor: s.number('factor', NaN) };
  if (type === 'llama3') {
    return {
      type,
      factor: s.number('factor', NaN),
      lowFreqFactor: s.number('low_freq_factor', NaN),
      highFreqFactor: s.number('high_freq_factor', NaN),
      originalMaxPositionEmbeddings: s.int('original_max_position_embeddings'),
    };
  }
  throw new Error(`${file}: rope_scaling type ${JSON.stringify(type)} is not supported (linear, llama3)`);
}

/** LlamaConfig, MistralConfig and Qwen2Config share these keys; defaults differ per class. */
function llamaFamily(r: Reader, file: string, architecture: Architecture): ModelConfig {
  const isQwen = architecture === 'Qwen2ForCausalLM';
  const isMistral = architecture === 'MistralForCausalLM';
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  const attentionBias = r.bool('attention_bias', false);
  if (r.get('hidden_act') !== undefined && r.get('hidden_act') !== 'silu')
    throw new Error(`${file}: hidden_act ${JSON.stringify(r.get('hidden_act'))} is not supported (silu)`);
  if (isQwen && r.bool('use_sliding_window', false))
    throw new Error(`${file}: use_sliding_window is not supported for Qwen2 checkpoints`);
  const window = isMistral ? r.get('sliding_window') : null;
  return {
    architecture,
    weightLayout: 'llama',
    hiddenSize,
    intermediateSize: r.int('intermediate_size'),
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    numKvHeads: r.int('num_key_value_heads', numHeads),
    headDim:
      r.get('head_dim') === undefined || r.get('head_dim') === null
        ? hiddenSize / numHeads
        : r.int('head_dim'),
    vocabSize: r.int('vocab_size'),
    maxPositions: r.int('max_position_embeddings'),
    norm: 'rmsnorm',
    normEps: r.number('rms_norm_eps', 1e-6),
    mlp: 'gated-silu',
    positions: 'rope',
    ropeTheta: r.number('rope_theta', 10000),
    ropeScaling: ropeScaling(r, file),
    qkvBias: isQwen || attentionBias,
    attnOutBias: !isQwen && attentionBias,
    mlpBias: !isQwen && !isMistral && r.bool('mlp_bias', false),
    slidingWindow: typeof window === 'number' ? window : null,
    tiedEmbeddings: r.bool('tie_word_embeddings', false),
    bosTokenId: r.optionalId('bos_token_id'),
    eosTokenIds: r.ids('eos_token_id'),
    padTokenId: r.optionalId('pad_token_id'),
    torchDtype: r.string('torch_dtype') ?? r.string('dtype'),
  };
}

function gpt2(r: Reader, file: string): ModelConfig {
  const hiddenSize = r.int('n_embd', 768);
  const numHeads = r.int('n_head', 12);
  const act = r.get('activation_function') ?? 'gelu_new';
  if (act !== 'gelu_new')
    throw new Error(`${file}: activation_function ${JSON.stringify(act)} is not supported`);
  for (const key of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'add_cross_attention']) {
    if (r.bool(key, false)) throw new Error(`${file}: ${key} is not supported`);
  }
  if (!r.bool('scale_attn_weights', true))
    throw new Error(`${file}: scale_attn_weights=false is not supported`);
  const inner = r.get('n_inner');
  return {
    architecture: 'GPT2LMHeadModel',
    weightLayout: 'gpt2',
    hiddenSize,
    intermediateSize: inner === null || inner === undefined ? 4 * hiddenSize : r.int('n_inner'),
    numLayers: r.int('n_layer', 12),
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    vocabSize: r.int('vocab_size', 50257),
    maxPositions: r.int('n_positions', 1024),
    norm: 'layernorm',
    normEps: r.number('layer_norm_epsilon', 1e-5),
    mlp: 'gelu-new',
    positions: 'learned',
    ropeTheta: 0,
    ropeScaling: { type: 'none' },
    qkvBias: true,
    attnOutBias: true,
    mlpBias: true,
    slidingWindow: null,
    tiedEmbeddings: r.bool('tie_word_embeddings', true),
    bosTokenId: r.optionalId('bos_token_id'),
    eosTokenIds: r.ids('eos_token_id'),
    padTokenId: r.optionalId('pad_token_id'),
    torchDtype: r.string('torch_dtype') ?? r.string('dtype'),
  };
}

/** The derived-field checks, in one place. */
export function checkConfig(c: ModelConfig, file: string): ModelConfig {
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (!Number.isInteger(c.headDim) || c.headDim <= 0)
    fail(`hidden size ${c.hiddenSize} is not divisible by ${c.numHeads} attention heads`);
  if (c.numHeads % c.numKvHeads !== 0)
    fail(`${c.numHeads} attention heads are not a multiple of ${c.numKvHeads} key/value heads`);
  if (c.positions === 'rope' && c.headDim % 2 !== 0) fail(`RoPE needs an even head dim, got ${c.headDim}`);
  if (c.positions === 'rope' && !(c.ropeTheta > 0)) fail(`rope_theta must be positive, got ${c.ropeTheta}`);
  if (c.ropeScaling.type !== 'none' && !(c.ropeScaling.factor > 0))
    fail(`rope_scaling factor must be positive, got ${c.ropeScaling.factor}`);
  if (c.ropeScaling.type === 'llama3' && !(c.ropeScaling.highFreqFactor > c.ropeScaling.lowFreqFactor))
    fail('rope_scaling high_freq_factor must exceed low_freq_factor');
  if (c.slidingWindow !== null && c.slidingWindow <= 0) fail(`sliding_window must be positive`);
  if (!(c.normEps > 0)) fail(`the norm epsilon must be positive, got ${c.normEps}`);
  for (const [key, id] of [
    ['bos_token_id', c.bosTokenId],
    ['pad_token_id', c.padTokenId],
    ...c.eosTokenIds.map((id) => ['eos_token_id', id] as const),
  ] as const) {
    if (id !== null && id >= c.vocabSize) fail(`${key} ${id} is outside the vocabulary of ${c.vocabSize}`);
  }
  return c;
}

/** Parses the text of a config.json; `file` names it in errors. */
export function parseModelConfig(json: string, file = 'config.json'): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${file}: not a JSON object`);
  const r = new Reader(raw as Raw, file);
  const architectures = r.get('architectures');
  const architecture = Array.isArray(architectures) ? architectures[0] : undefined;
  const supported = SUPPORTED_ARCHITECTURES.join(', ');
  if (!SUPPORTED_ARCHITECTURES.includes(architecture as Architecture)) {
    throw new Error(
      `${file}: architecture ${JSON.stringify(architecture ?? null)} is not supported; supported: ${supported}`,
    );
  }
  const config =
    architecture === 'GPT2LMHeadModel' ? gpt2(r, file) : llamaFamily(r, file, architecture as Architecture);
  return checkConfig(config, file);
}
