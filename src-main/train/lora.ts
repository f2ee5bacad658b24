// LoRA with PEFT semantics in the engine DSL: y = x W^T (+ b) + (alpha/r) (x A^T) B^T, base W frozen (an
// initializer), A and B trainable graph inputs, A kaiming-uniform and B zeros as PEFT initialises them.
import { add, matmul, mul, transposeLast, type Graph, type Tensor } from '../engine/index';
import type { Rng } from './rng';

/** PEFT's usual "all linear" choice for Llama-family models: every attention and MLP projection. */
export const LLAMA_TARGET_MODULES = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
] as const;

/** GPT-2's Conv1D projections (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj); their weights are [in, out]. */
export const GPT2_TARGET_MODULES = ['c_attn', 'c_proj', 'c_fc'] as const;

/** Phi-3's projections as PEFT names them: q, k, v fused in qkv_proj, gate and up in gate_up_proj. */
export const PHI3_TARGET_MODULES = ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'] as const;

/**
 * The default target modules (every attention and MLP projection) for a Hugging Face `model_type` or a
 * weight layout: GPT-2 and Phi-3 name theirs apart; Qwen3, Gemma 3 and SmolLM3 use Llama's names.
 */
export function defaultTargetModules(modelTypeOrLayout: string): string[] {
  if (modelTypeOrLayout === 'gpt2') return [...GPT2_TARGET_MODULES];
  if (modelTypeOrLayout === 'phi3') return [...PHI3_TARGET_MODULES];
  return [...LLAMA_TARGET_MODULES];
}

/** True for GPT-2-style Conv1D weights stored [in, out] (PEFT's `fan_in_fan_out`). */
export const fanInFanOut = (modelType: string): boolean => modelType === 'gpt2';

/**
 * PEFT's check_target_module_exists for a list: the module's full path equals a target or ends with
 * `.<target>` (so `c_proj` matches both `h.0.attn.c_proj` and `h.0.mlp.c_proj`).
 */
export function isTargetModule(modulePath: string, targets: readonly string[]): boolean {
  return targets.some((t) => modulePath === t || modulePath.endsWith(`.${t}`));
}

export interface LoraConfig {
  /** Rank r of A [r, in] and B [out, r]. */
  r: number;
  /** lora_alpha; the update is scaled by alpha / r (use_rslora false). */
  alpha: number;
  targetModules: readonly string[];
}

export const loraScaling = (config: Pick<LoraConfig, 'r' | 'alpha'>): number => config.alpha / config.r;

/**
 * PEFT's lora_A init, nn.init.kaiming_uniform_(A, a=sqrt(5)): gain = sqrt(2 / (1 + a²)) = sqrt(1/3),
 * bound = sqrt(3) gain / sqrt(fan_in) = 1 / sqrt(fan_in), with fan_in = in_features (A is [r, in]).
 */
export const kaimingUniformBound = (fanIn: number): number => 1 / Math.sqrt(fanIn);

export type FloatData = Float32Array | Float64Array;

export interface LoraWeights {
  /** [r, in], row-major. */
  a: FloatData;
  /** [out, r], row-major. */
  b: FloatData;
}

/** A fresh adapter for one module: A ~ U(-1/sqrt(in), 1/sqrt(in)) from `rng`, B = 0. Deterministic per seed. */
export function initLoraWeights(
  inFeatures: number,
  outFeatures: number,
  r: number,
  rng: Rng,
  dtype: 'float32' | 'float64' = 'float32',
): LoraWeights {
  const bound = kaimingUniformBound(inFeatures);
  const a = dtype === 'float32' ? new Float32Array(r * inFeatures) : new Float64Array(r * inFeatures);
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-bound, bound);
  const b = dtype === 'float32' ? new Float32Array(outFeatures * r) : new Float64Array(outFeatures * r);
  return { a, b };
}

export interface LoraAdapter {
  /** The module path, e.g. `model.layers.0.self_attn.q_proj`. */
  module: string;
  /** Trainable graph inputs named `<module>.lora_A.weight` [r, in] and `<module>.lora_B.weight` [out, r]. */
  a: Tensor;
  b: Tensor;
  scaling: number;
}

/** Declares A and B of one module as trainable params of `graph`, named as PEFT's state-dict keys. */
export function addLoraParams(
  graph: Graph,
  module: string,
  weights: LoraWeights,
  shape: { inFeatures: number; outFeatures: number },
  config: Pick<LoraConfig, 'r' | 'alpha'>,
): LoraAdapter {
  const { r } = config;
  const a = graph.param(`${module}.lora_A.weight`, weights.a, [r, shape.inFeatures], { trainable: true });
  const b = graph.param(`${module}.lora_B.weight`, weights.b, [shape.outFeatures, r], { trainable: true });
  return { module, a, b, scaling: loraScaling(config) };
}

export interface BaseLinear {
  /** Frozen: [out, in] (nn.Linear), or [in, out] when `fanInFanOut` (GPT-2 Conv1D). */
  weight: Tensor;
  bias?: Tensor;
  fanInFanOut?: boolean;
}

/** y = x W^T (+ b) + scaling (x A^T) B^T; x (..., in) -> (..., out). Dropout is 0 (PEFT lora_dropout 0). */
export function loraLinear(x: Tensor, base: BaseLinear, adapter?: LoraAdapter): Tensor {
  const w = base.fanInFanOut ? base.weight : transposeLast(base.weight); // (in, out)
  let y = matmul(x, w); // (..., out)
  if (base.bias) y = add(y, base.bias);
  if (!adapter) return y;
  const down = matmul(x, transposeLast(adapter.a)); // (..., r)
  const up = matmul(down, transposeLast(adapter.b)); // (..., out)
  return add(y, mul(up, adapter.scaling));
}
