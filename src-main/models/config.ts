// Hugging Face config.json -> one ModelConfig with explicit switches (litgpt's Config): the transformer reads
// only these switches, never the architecture name. Each family's parser (config-families.ts) mirrors its
// transformers configuration class; derived fields are checked in one place (checkConfig).
import { Reader, type Raw } from './config-reader';
import { FAMILY_PARSERS } from './config-families';

export type Architecture =
  | 'LlamaForCausalLM'
  | 'MistralForCausalLM'
  | 'Qwen2ForCausalLM'
  | 'Qwen3ForCausalLM'
  | 'Gemma3ForCausalLM'
  | 'Phi3ForCausalLM'
  | 'SmolLM3ForCausalLM'
  | 'GPT2LMHeadModel';

/** Each supported architecture with its config.json `model_type`. */
export const SUPPORTED_MODEL_TYPES: Readonly<Record<Architecture, string>> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
  Gemma3ForCausalLM: 'gemma3_text',
  Phi3ForCausalLM: 'phi3',
  SmolLM3ForCausalLM: 'smollm3',
  GPT2LMHeadModel: 'gpt2',
};
export const SUPPORTED_ARCHITECTURES = Object.keys(SUPPORTED_MODEL_TYPES) as readonly Architecture[];

/** Which checkpoint-name table (weight-names.ts) applies. */
export type WeightLayout = 'llama' | 'gemma3' | 'phi3' | 'gpt2';

export type RopeScaling =
  | { type: 'none' }
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    }
  | {
      /** Phi-3's LongRoPE: short factors up to the original context, long ones past it (per forward). */
      type: 'longrope';
      factor: number;
      shortFactor: number[];
      longFactor: number[];
      originalMaxPositionEmbeddings: number;
      /** cos and sin are multiplied by this. */
      attentionFactor: number;
    };

/** How one layer attends: over every earlier position or the last `slidingWindow`; which RoPE it uses. */
export interface LayerSpec {
  sliding: boolean;
  /** 'global': ropeTheta + ropeScaling; 'local': localRope (Gemma's sliding layers); 'none': no RoPE. */
  rope: 'global' | 'local' | 'none';
}

export interface ModelConfig {
  architecture: Architecture;
  modelType: string;
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
  /** Gemma's RMSNorm scales by (1 + weight): the stored weight is an offset from one. */
  normUnitOffset: boolean;
  /** Per-head RMSNorm on q and k before RoPE (Qwen3's and Gemma 3's q_norm / k_norm). */
  qkNorm: boolean;
  /** Norms on the attention and MLP outputs before each residual add (Gemma 3's post-attention/-feedforward). */
  blockOutputNorms: boolean;
  /** Token embeddings are multiplied by this (Gemma: sqrt(hidden_size)); null for none. */
  embedScale: number | null;
  mlp: 'gated-silu' | 'gated-gelu-tanh' | 'gelu-new';
  positions: 'rope' | 'learned';
  ropeTheta: number;
  ropeScaling: RopeScaling;
  /** Leading dims of each head that RoPE rotates (Phi's partial_rotary_factor); the rest pass through. */
  rotaryDim: number;
  /** RoPE of the 'local' layers (Gemma 3: rope_local_base_freq, no scaling); null when none has one. */
  localRope: { theta: number; scaling: RopeScaling } | null;
  /** Attention scores are q·k times this: head_dim^-0.5, Gemma 3 query_pre_attn_scalar^-0.5. */
  attentionScale: number;
  /** Biases on the q, k and v projections (Qwen2, GPT-2, Llama with attention_bias). */
  qkvBias: boolean;
  /** Bias on the attention output projection (GPT-2, Llama with attention_bias). */
  attnOutBias: boolean;
  mlpBias: boolean;
  /** The window of sliding layers: a query sees at most this many keys, itself included. */
  slidingWindow: number | null;
  /** One per layer. */
  layers: LayerSpec[];
  /** logits = cap * tanh(logits / cap), applied by the LM head (Gemma's final_logit_softcapping). */
  finalLogitSoftcap: number | null;
  tiedEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  torchDtype: string | null;
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
  const rotary = c.rotaryDim;
  if (
    c.positions === 'rope' &&
    (!Number.isInteger(rotary) || rotary % 2 !== 0 || rotary <= 0 || rotary > c.headDim)
  )
    fail(
      `the rotary dim ${c.rotaryDim} (partial_rotary_factor x head dim) must be even and at most ${c.headDim}`,
    );
  if (c.positions === 'rope' && !(c.ropeTheta > 0)) fail(`rope_theta must be positive, got ${c.ropeTheta}`);
  if (c.ropeScaling.type !== 'none' && !(c.ropeScaling.factor > 0))
    fail(`rope_scaling factor must be positive, got ${c.ropeScaling.factor}`);
  if (c.ropeScaling.type === 'llama3' && !(c.ropeScaling.highFreqFactor > c.ropeScaling.lowFreqFactor))
    fail('rope_scaling high_freq_factor must exceed low_freq_factor');
  if (c.slidingWindow !== null && c.slidingWindow <= 0) fail(`sliding_window must be positive`);
  if (c.layers.length !== c.numLayers) fail(`${c.layers.length} layer types for ${c.numLayers} layers`);
  if (c.layers.some((l) => l.sliding) && c.slidingWindow === null)
    fail('sliding-window layers need a sliding_window');
  if (c.layers.some((l) => l.rope === 'local') && c.localRope === null) fail('local RoPE layers need a base');
  if (c.finalLogitSoftcap !== null && !(c.finalLogitSoftcap > 0))
    fail(`final_logit_softcapping must be positive, got ${c.finalLogitSoftcap}`);
  if (!(c.attentionScale > 0)) fail(`the attention scale must be positive, got ${c.attentionScale}`);
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

/** The architecture a config.json names (architectures[0], else the one its model_type stands for). */
function architectureOf(r: Reader): Architecture {
  const architectures = r.get('architectures');
  const named: unknown = Array.isArray(architectures) ? architectures[0] : undefined;
  const modelType = r.get('model_type');
  const byType = SUPPORTED_ARCHITECTURES.find((a) => SUPPORTED_MODEL_TYPES[a] === modelType);
  const architecture = named === undefined ? byType : named;
  if (SUPPORTED_ARCHITECTURES.includes(architecture as Architecture)) return architecture as Architecture;
  const supported = SUPPORTED_ARCHITECTURES.map((a) => `${a} (${SUPPORTED_MODEL_TYPES[a]})`).join(', ');
  throw new Error(
    `${r.file}: architecture ${JSON.stringify(named ?? null)} (model_type ${JSON.stringify(modelType ?? null)}) ` +
      `is not supported; supported: ${supported}`,
  );
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
  const architecture = architectureOf(r);
  return checkConfig(FAMILY_PARSERS[architecture](r, architecture), file);
}
