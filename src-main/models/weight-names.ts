// Checkpoint tensor names per weight layout, as tables: Hugging Face name -> our canonical name, with the
// transforms some layouts need (GPT-2's Conv1D stores [in, out] and fuses q, k and v in c_attn; Phi-3 fuses
// q, k, v in qkv_proj and gate, up in gate_up_proj along the output rows).
import type { ModelConfig, WeightLayout } from './config';
import { widen, type WeightTensor } from './safetensors';

/** How a stored tensor becomes a canonical one. */
export type WeightTransform =
  | { kind: 'copy' }
  /** Conv1D [in, out] -> linear [out, in]. */
  | { kind: 'transpose' }
  /** Part `index` of `parts` equal slices along the output dim of a fused Conv1D weight [in, parts*out]. */
  | { kind: 'split-transpose'; parts: number; index: number }
  /** Part `index` of `parts` equal slices of a fused bias [parts*out]. */
  | { kind: 'split'; parts: number; index: number }
  /** Rows [start, end) of a fused linear weight [total, in] (Phi-3's qkv_proj and gate_up_proj). */
  | { kind: 'rows'; start: number; end: number; total: number };

export interface WeightEntry {
  /** Canonical name; `{i}` is the layer index. */
  canonical: string;
  /** Checkpoint name; `{i}` is the layer index. */
  hf: string;
  /** Fixed, or from the config where it depends on the sizes (row ranges of fused weights). */
  transform: WeightTransform | ((c: ModelConfig) => WeightTransform);
  /** The switch that decides whether the model has this tensor. */
  present: (c: ModelConfig) => boolean;
}

const always = (): boolean => true;
const copy: WeightTransform = { kind: 'copy' };
const transpose: WeightTransform = { kind: 'transpose' };

function entry(
  canonical: string,
  hf: string,
  present: (c: ModelConfig) => boolean = always,
  transform: WeightEntry['transform'] = copy,
): WeightEntry {
  return { canonical, hf, transform, present };
}

const LLAMA: WeightEntry[] = [
  entry('embed.weight', 'model.embed_tokens.weight'),
  entry('layers.{i}.norm1.weight', 'model.layers.{i}.input_layernorm.weight'),
  ...(['q', 'k', 'v'] as const).flatMap((p) => [
    entry(`layers.{i}.attn.${p}.weight`, `model.layers.{i}.self_attn.${p}_proj.weight`),
    entry(`layers.{i}.attn.${p}.bias`, `model.layers.{i}.self_attn.${p}_proj.bias`, (c) => c.qkvBias),
  ]),
  entry('layers.{i}.attn.qNorm.weight', 'model.layers.{i}.self_attn.q_norm.weight', (c) => c.qkNorm),
  entry('layers.{i}.attn.kNorm.weight', 'model.layers.{i}.self_attn.k_norm.weight', (c) => c.qkNorm),
  entry('layers.{i}.attn.o.weight', 'model.layers.{i}.self_attn.o_proj.weight'),
  entry('layers.{i}.attn.o.bias', 'model.layers.{i}.self_attn.o_proj.bias', (c) => c.attnOutBias),
  entry('layers.{i}.norm2.weight', 'model.layers.{i}.post_attention_layernorm.weight'),
  ...(['gate', 'up', 'down'] as const).flatMap((p) => [
    entry(`layers.{i}.mlp.${p}.weight`, `model.layers.{i}.mlp.${p}_proj.weight`),
    entry(`layers.{i}.mlp.${p}.bias`, `model.layers.{i}.mlp.${p}_proj.bias`, (c) => c.mlpBias),
  ]),
  entry('norm.weight', 'model.norm.weight'),
  entry('lmHead.weight', 'lm_head.weight', (c) => !c.tiedEmbeddings),
];

/**
 * Gemma 3 (modeling_gemma3.py): Llama's names, but post_attention_layernorm normalises the attention output
 * and pre_feedforward_layernorm is the MLP's input norm; post_feedforward_layernorm normalises its output.
 */
const GEMMA3: WeightEntry[] = LLAMA.flatMap((e) => {
  if (e.hf === 'model.layers.{i}.post_attention_layernorm.weight')
    return [
      entry('layers.{i}.attnOutNorm.weight', e.hf),
      entry('layers.{i}.norm2.weight', 'model.layers.{i}.pre_feedforward_layernorm.weight'),
      entry('layers.{i}.mlpOutNorm.weight', 'model.layers.{i}.post_feedforward_layernorm.weight'),
    ];
  return [e];
});

/** Row ranges of Phi-3's fused projections: qkv_proj is [q (H*D); k (Hkv*D); v (Hkv*D)], gate_up [gate; up]. */
function fusedRows(part: 'q' | 'k' | 'v' | 'gate' | 'up'): (c: ModelConfig) => WeightTransform {
  return (c) => {
    const [q, kv, I] = [c.numHeads * c.headDim, c.numKvHeads * c.headDim, c.intermediateSize];
    const ranges = { q: [0, q], k: [q, q + kv], v: [q + kv, q + 2 * kv], gate: [0, I], up: [I, 2 * I] };
    const [start, end] = ranges[part] as [number, number];
    return { kind: 'rows', start, end, total: part === 'gate' || part === 'up' ? 2 * I : q + 2 * kv };
  };
}

/** Phi-3 / Phi-3.5 / Phi-4-mini (modeling_phi3.py): fused qkv_proj and gate_up_proj, no biases. */
const PHI3: WeightEntry[] = [
  entry('embed.weight', 'model.embed_tokens.weight'),
  entry('layers.{i}.norm1.weight', 'model.layers.{i}.input_layernorm.weight'),
  ...(['q', 'k', 'v'] as const).map((p) =>
    entry(`layers.{i}.attn.${p}.weight`, 'model.layers.{i}.self_attn.qkv_proj.weight', always, fusedRows(p)),
  ),
  entry('layers.{i}.attn.o.weight', 'model.layers.{i}.self_attn.o_proj.weight'),
  entry('layers.{i}.norm2.weight', 'model.layers.{i}.post_attention_layernorm.weight'),
  ...(['gate', 'up'] as const).map((p) =>
    entry(`layers.{i}.mlp.${p}.weight`, 'model.layers.{i}.mlp.gate_up_proj.weight', always, fusedRows(p)),
  ),
  entry('layers.{i}.mlp.down.weight', 'model.layers.{i}.mlp.down_proj.weight'),
  entry('norm.weight', 'model.norm.weight'),
  entry('lmHead.weight', 'lm_head.weight', (c) => !c.tiedEmbeddings),
];

const GPT2: WeightEntry[] = [
  entry('embed.weight', 'transformer.wte.weight'),
  entry('positions.weight', 'transformer.wpe.weight'),
  entry('layers.{i}.norm1.weight', 'transformer.h.{i}.ln_1.weight'),
  entry('layers.{i}.norm1.bias', 'transformer.h.{i}.ln_1.bias'),
  ...(['q', 'k', 'v'] as const).flatMap((p, index) => [
    entry(`layers.{i}.attn.${p}.weight`, 'transformer.h.{i}.attn.c_attn.weight', always, {
      kind: 'split-transpose',
      parts: 3,
      index,
    }),
    entry(`layers.{i}.attn.${p}.bias`, 'transformer.h.{i}.attn.c_attn.bias', always, {
      kind: 'split',
      parts: 3,
      index,
    }),
  ]),
  entry('layers.{i}.attn.o.weight', 'transformer.h.{i}.attn.c_proj.weight', always, transpose),
  entry('layers.{i}.attn.o.bias', 'transformer.h.{i}.attn.c_proj.bias'),
  entry('layers.{i}.norm2.weight', 'transformer.h.{i}.ln_2.weight'),
  entry('layers.{i}.norm2.bias', 'transformer.h.{i}.ln_2.bias'),
  entry('layers.{i}.mlp.up.weight', 'transformer.h.{i}.mlp.c_fc.weight', always, transpose),
  entry('layers.{i}.mlp.up.bias', 'transformer.h.{i}.mlp.c_fc.bias'),
  entry('layers.{i}.mlp.down.weight', 'transformer.h.{i}.mlp.c_proj.weight', always, transpose),
  entry('layers.{i}.mlp.down.bias', 'transformer.h.{i}.mlp.c_proj.bias'),
  entry('norm.weight', 'transformer.ln_f.weight'),
  entry('norm.bias', 'transformer.ln_f.bias'),
  entry('lmHead.weight', 'lm_head.weight', (c) => !c.tiedEmbeddings),
];

export const WEIGHT_TABLES: Record<WeightLayout, readonly WeightEntry[]> = {
  llama: LLAMA,
  gemma3: GEMMA3,
  phi3: PHI3,
  gpt2: GPT2,
};

/**
 * Prefixes a checkpoint may put before the table's names: the original `gpt2` repository stores `h.0...`
 * without `transformer.`; the tables are written with the prefix and these alternatives are tried too.
 */
export const STRIPPABLE_PREFIXES: Record<WeightLayout, readonly string[]> = {
  llama: [],
  gemma3: [],
  phi3: [],
  gpt2: ['transformer.'],
};

export interface ResolvedWeight {
  canonical: string;
  hf: string;
  transform: WeightTransform;
}

/** Every tensor this config needs, with layer indices filled in. */
export function weightsFor(config: ModelConfig): ResolvedWeight[] {
  const out: ResolvedWeight[] = [];
  for (const e of WEIGHT_TABLES[config.weightLayout]) {
    if (!e.present(config)) continue;
    const layers = e.canonical.includes('{i}') ? config.numLayers : 1;
    const transform = typeof e.transform === 'function' ? e.transform(config) : e.transform;
    for (let i = 0; i < layers; i++) {
      const fill = (s: string): string => s.replaceAll('{i}', String(i));
      out.push({ canonical: fill(e.canonical), hf: fill(e.hf), transform });
    }
  }
  return out;
}

/** The dims a stored tensor has after `t`, without touching its data (checking a folder by its headers). */
export function transformedDims(t: WeightTransform, dims: readonly number[]): number[] {
  if (t.kind === 'copy') return [...dims];
  if (t.kind === 'split') return [(dims[0] ?? 0) / t.parts];
  // A fused weight of the wrong height reports a height that cannot match the canonical shape.
  if (t.kind === 'rows') return dims[0] === t.total ? [t.end - t.start, ...dims.slice(1)] : [...dims];
  const [rows, cols] = dims as [number, number];
  return [t.kind === 'transpose' ? cols : cols / t.parts, rows];
}

/** Applies a transform to a stored tensor (row-major): element copies only, so float32 and 16-bit words alike. */
export function applyTransform<A extends Float32Array | Uint16Array>(
  t: WeightTransform,
  dims: readonly number[],
  data: A,
): { dims: number[]; data: A } {
  if (t.kind === 'copy') return { dims: [...dims], data };
  if (t.kind === 'rows') {
    if (dims[0] !== t.total) return { dims: [...dims], data };
    const cols = data.length / t.total;
    const part = data.slice(t.start * cols, t.end * cols) as A;
    return { dims: [t.end - t.start, ...dims.slice(1)], data: part };
  }
  const like = (n: number): A =>
    (data instanceof Float32Array ? new Float32Array(n) : new Uint16Array(n)) as A;
  if (t.kind === 'split') {
    const n = (dims[0] ?? 0) / t.parts;
    const out = like(n);
    out.set(data.subarray(t.index * n, (t.index + 1) * n));
    return { dims: [n], data: out };
  }
  const [rows, cols] = dims as [number, number];
  const width = t.kind === 'transpose' ? cols : cols / t.parts;
  const start = t.kind === 'transpose' ? 0 : t.index * width;
  const out = like(width * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) out[c * rows + r] = data[r * cols + start + c] as number;
  }
  return { dims: [width, rows], data: out };
}

/**
 * The inverse of loading: canonical weights -> checkpoint tensors under the table's names (Conv1D weights
 * transposed back, GPT-2's q/k/v fused again), ready for writeSafetensors (e.g. a merged checkpoint).
 */
export function toCheckpointTensors(
  config: ModelConfig,
  weights: ReadonlyMap<string, WeightTensor>,
): Map<string, { dims: number[]; data: Float32Array }> {
  const byName = new Map<string, ResolvedWeight[]>();
  for (const w of weightsFor(config)) byName.set(w.hf, [...(byName.get(w.hf) ?? []), w]);
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const [hf, parts] of byName) {
    const pieces = parts.map((w) => {
      const stored = weights.get(w.canonical);
      if (!stored) throw new Error(`weight-names: canonical weight ${w.canonical} is missing`);
      const t = widen(stored);
      const back = w.transform.kind === 'transpose' || w.transform.kind === 'split-transpose';
      return back
        ? applyTransform({ kind: 'transpose' }, t.dims, t.data)
        : { dims: [...t.dims], data: t.data };
    });
    const fused = parts[0]?.transform.kind === 'rows' ? stackRows(pieces) : fuse(pieces);
    out.set(hf, pieces.length === 1 ? (pieces[0] as { dims: number[]; data: Float32Array }) : fused);
  }
  return out;
}

/** Concatenates tensors along their last dim (fused [in, parts*out] weights, [parts*out] biases). */
function fuse(pieces: { dims: number[]; data: Float32Array }[]): { dims: number[]; data: Float32Array } {
  const first = pieces[0] as { dims: number[] };
  const rows = first.dims.length === 2 ? (first.dims[0] as number) : 1;
  const widths = pieces.map((p) => p.dims[p.dims.length - 1] as number);
  const total = widths.reduce((a, b) => a + b, 0);
  const data = new Float32Array(rows * total);
  let offset = 0;
  pieces.forEach((p, k) => {
    const width = widths[k] as number;
    for (let r = 0; r < rows; r++) data.set(p.data.subarray(r * width, (r + 1) * width), r * total + offset);
    offset += width;
  });
  return { dims: first.dims.length === 2 ? [rows, total] : [total], data };
}

/** Stacks [rows_k, cols] tensors into [sum rows_k, cols] (a fused linear weight, in table order). */
function stackRows(pieces: { dims: number[]; data: Float32Array }[]): { dims: number[]; data: Float32Array } {
  const data = new Float32Array(pieces.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const p of pieces) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  const rows = pieces.reduce((n, p) => n + (p.dims[0] as number), 0);
  return { dims: [rows, ...(pieces[0] as { dims: number[] }).dims.slice(1)], data };
}
