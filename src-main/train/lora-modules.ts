// Which checkpoint modules get a LoRA pair (PEFT module paths from the models' weight table), their
// trainable graph params, and the map from a module to the transformer's projections (a fused module, GPT-2's
// c_attn or Phi-3's qkv_proj and gate_up_proj, has one A and one B whose rows are split among its
// projections, as PEFT trains it).
import { slice, type Graph } from '../engine/index';
import { canonicalShape, weightsFor, type LoraTensors, type ModelConfig } from '../models/index';
import { initLoraWeights, isTargetModule, loraScaling, type LoraConfig } from './lora';
import type { ModuleAdapter, PeftAdapter } from './peft-export';
import type { Rng } from './rng';

export interface LoraModule {
  /** PEFT module path, e.g. `model.layers.0.self_attn.q_proj`. */
  module: string;
  inFeatures: number;
  outFeatures: number;
  /** Transformer projections fed by this module, each from B's rows [start, end). */
  projections: { name: string; start: number; end: number }[];
}

/** Modules of `config` matched by `targets` (PEFT's suffix rule), in checkpoint order. */
export function loraModules(config: ModelConfig, targets: readonly string[]): LoraModule[] {
  const byModule = new Map<string, LoraModule>();
  for (const w of weightsFor(config)) {
    if (
      !w.canonical.endsWith('.weight') ||
      (!w.canonical.includes('.attn.') && !w.canonical.includes('.mlp.'))
    )
      continue;
    const module = w.hf.slice(0, -'.weight'.length);
    if (!isTargetModule(module, targets)) continue;
    const name = w.canonical.slice(0, -'.weight'.length);
    const shape = canonicalShape(config, w.canonical);
    if (shape.length !== 2) continue; // norms (q_norm, k_norm) are not projections
    const [out, inFeatures] = shape as [number, number];
    const t = w.transform;
    const rows =
      t.kind === 'split-transpose'
        ? { start: t.index * out, end: (t.index + 1) * out, total: t.parts * out }
        : t.kind === 'rows'
          ? t
          : { start: 0, end: out, total: out };
    const entry = byModule.get(module) ?? { module, inFeatures, outFeatures: rows.total, projections: [] };
    entry.projections.push({ name, start: rows.start, end: rows.end });
    byModule.set(module, entry);
  }
  if (byModule.size === 0)
    throw new Error(
      `lora: no module of this ${config.architecture} matches the targets ${targets.join(', ')}`,
    );
  return [...byModule.values()];
}

export const paramNameA = (module: string): string => `${module}.lora_A.weight`;
export const paramNameB = (module: string): string => `${module}.lora_B.weight`;

/** LoRA tensors by graph param name (`<module>.lora_A.weight` [r, in], `.lora_B.weight` [out, r]). */
export type LoraState = Map<string, Float32Array>;

/** A fresh adapter: A kaiming-uniform from `rng` (modules in order, A then B), B zeros, as PEFT. */
export function initLoraState(modules: readonly LoraModule[], r: number, rng: Rng): LoraState {
  const state: LoraState = new Map();
  for (const m of modules) {
    const { a, b } = initLoraWeights(m.inFeatures, m.outFeatures, r, rng);
    state.set(paramNameA(m.module), a as Float32Array);
    state.set(paramNameB(m.module), b as Float32Array);
  }
  return state;
}

/** An existing PEFT adapter (readPeftAdapter) as state; every module must be one of `modules`. */
export function loraStateFrom(
  adapter: PeftAdapter,
  modules: readonly LoraModule[],
  where: string,
): LoraState {
  const state: LoraState = new Map();
  const known = new Map(modules.map((m) => [m.module, m]));
  for (const [module, m] of Object.entries(adapter.modules)) {
    const target = known.get(module);
    if (!target) throw new Error(`${where}: module ${module} is not a LoRA target of this model`);
    if (target.inFeatures !== m.inFeatures || target.outFeatures !== m.outFeatures)
      throw new Error(
        `${where}: ${module} is [${m.outFeatures}, ${m.inFeatures}] in the adapter but not the model`,
      );
    state.set(paramNameA(module), Float32Array.from(m.a));
    state.set(paramNameB(module), Float32Array.from(m.b));
  }
  return state;
}

/**
 * Declares every pair as a trainable param of `graph` and returns the transformer's LoRA map
 * (projection name -> {a, b, scale}); a fused module's B is sliced per projection.
 */
export function addLoraToGraph(
  graph: Graph,
  modules: readonly LoraModule[],
  state: LoraState,
  config: Pick<LoraConfig, 'r' | 'alpha'>,
): Map<string, LoraTensors> {
  const scale = loraScaling(config);
  const lora = new Map<string, LoraTensors>();
  for (const m of modules) {
    const a = graph.param(
      paramNameA(m.module),
      state.get(paramNameA(m.module)) as Float32Array,
      [config.r, m.inFeatures],
      {
        trainable: true,
      },
    );
    const b = graph.param(
      paramNameB(m.module),
      state.get(paramNameB(m.module)) as Float32Array,
      [m.outFeatures, config.r],
      {
        trainable: true,
      },
    );
    for (const p of m.projections) {
      const whole = p.start === 0 && p.end === m.outFeatures;
      lora.set(p.name, { a, b: whole ? b : slice(b, 0, p.start, p.end), scale });
    }
  }
  return lora;
}

/** The state as a PEFT adapter for writePeftAdapter. */
export function toPeftAdapter(
  state: LoraState,
  modules: readonly LoraModule[],
  config: LoraConfig & { baseModel: string; fanInFanOut: boolean },
): PeftAdapter {
  const out: Record<string, ModuleAdapter> = {};
  for (const m of modules) {
    const a = state.get(paramNameA(m.module));
    const b = state.get(paramNameB(m.module));
    if (!a || !b) throw new Error(`lora: state has no pair for ${m.module}`);
    out[m.module] = { a, b, inFeatures: m.inFeatures, outFeatures: m.outFeatures };
  }
  return {
    baseModel: config.baseModel,
    r: config.r,
    alpha: config.alpha,
    targetModules: [...config.targetModules],
    fanInFanOut: config.fanInFanOut,
    modules: out,
  };
}
