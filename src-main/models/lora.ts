// PEFT LoRA adapters (adapter_config.json + adapter_model.safetensors) read into our projection names, and
// merged into a checkpoint's weights: W' = W + scale * B A with scale = lora_alpha / r (PEFT's LoraLayer).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from './config';
import { SafetensorsFile, widen, type FloatTensor, type WeightTensor } from './safetensors';
import { applyTransform, STRIPPABLE_PREFIXES, weightsFor } from './weight-names';

/** One projection's pair: A (r, in), B (out, r), in the canonical (split, [out, in]) layout. */
export interface LoraWeights {
  a: FloatTensor;
  b: FloatTensor;
  scale: number;
}

export interface PeftAdapter {
  r: number;
  alpha: number;
  scale: number;
  /** canonical projection name (`layers.0.attn.q`) -> its pair */
  weights: Map<string, LoraWeights>;
}

function readAdapterConfig(folder: string): { r: number; alpha: number; scale: number } {
  const path = join(folder, 'adapter_config.json');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${path}: cannot read the adapter config: ${(error as Error).message}`, { cause: error });
  }
  const { r, lora_alpha: alpha } = raw;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0)
    throw new Error(`${path}: r must be a positive integer, got ${JSON.stringify(r)}`);
  if (typeof alpha !== 'number') throw new Error(`${path}: lora_alpha must be a number`);
  if (raw.bias !== undefined && raw.bias !== 'none')
    throw new Error(`${path}: bias ${JSON.stringify(raw.bias)} is not supported (none)`);
  // rsLoRA (use_rslora) scales by alpha / sqrt(r) instead of alpha / r.
  return { r, alpha, scale: raw.use_rslora === true ? alpha / Math.sqrt(r) : alpha / r };
}

/** Rows [index*n, (index+1)*n) of a (parts*n, cols) matrix. */
function rowPart(t: FloatTensor, parts: number, index: number): FloatTensor {
  const [rows, cols] = t.dims as [number, number];
  const n = rows / parts;
  return { dims: [n, cols], data: t.data.slice(index * n * cols, (index + 1) * n * cols) };
}

/**
 * Reads a PEFT adapter folder for a model with `config`. Keys are `base_model.model.<module>.lora_A.weight`
 * where <module> is the checkpoint's module path; a fused module's pair (GPT-2's c_attn, Phi-3's qkv_proj
 * and gate_up_proj) is split into its projections (A is shared, B's rows are split). PEFT stores Conv1D pairs as for nn.Linear, so no transpose is needed.
 */
export function loadPeftAdapter(folder: string, config: ModelConfig): PeftAdapter {
  const { r, alpha, scale } = readAdapterConfig(folder);
  const file = SafetensorsFile.open(join(folder, 'adapter_model.safetensors'));
  const keyFor = (module: string, ab: 'A' | 'B'): string | undefined => {
    const candidates = [
      module,
      ...STRIPPABLE_PREFIXES[config.weightLayout].map((p) => module.replace(p, '')),
    ];
    return candidates
      .map((m) => `base_model.model.${m}.lora_${ab}.weight`)
      .find((key) => file.tensors.has(key));
  };
  const weights = new Map<string, LoraWeights>();
  const used = new Set<string>();
  for (const w of weightsFor(config)) {
    if (!w.canonical.endsWith('.weight') || !w.hf.endsWith('.weight')) continue;
    const module = w.hf.slice(0, -'.weight'.length);
    const [keyA, keyB] = [keyFor(module, 'A'), keyFor(module, 'B')];
    if (keyA === undefined || keyB === undefined) continue;
    const a = file.readFloat32(keyA);
    let b = file.readFloat32(keyB);
    if (w.transform.kind === 'split-transpose') b = rowPart(b, w.transform.parts, w.transform.index);
    if (w.transform.kind === 'rows') b = applyTransform(w.transform, b.dims, b.data);
    if (a.dims[0] !== r || b.dims[1] !== r) {
      throw new Error(
        `${file.path}: ${keyA} [${a.dims.join(',')}] and ${keyB} [${b.dims.join(',')}] do not have rank r=${r}`,
      );
    }
    weights.set(w.canonical.slice(0, -'.weight'.length), { a, b, scale });
    used.add(keyA).add(keyB);
  }
  const unknown = [...file.tensors.keys()].filter((key) => !used.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `${file.path}: ${unknown.length} tensor(s) match no ${config.architecture} projection, e.g. ${unknown[0]}`,
    );
  }
  return { r, alpha, scale, weights };
}

/** The weights with each LoRA pair merged in: W + scale * B A (a new map; the input is not changed). */
export function mergeLora(
  weights: ReadonlyMap<string, WeightTensor>,
  lora: ReadonlyMap<string, LoraWeights>,
): Map<string, WeightTensor> {
  const merged = new Map(weights);
  for (const [name, { a, b, scale }] of lora) {
    const base = weights.get(`${name}.weight`);
    if (!base) throw new Error(`lora: the model has no projection ${name}`);
    const [out, inDim] = base.dims as [number, number];
    const rank = a.dims[0] as number;
    if (b.dims[0] !== out || a.dims[1] !== inDim)
      throw new Error(`lora: ${name} is [${out},${inDim}] but B A is [${b.dims[0]},${a.dims[1]}]`);
    const data = Float32Array.from(widen(base).data); // merged projections are float32
    for (let o = 0; o < out; o++) {
      for (let k = 0; k < rank; k++) {
        const coefficient = scale * (b.data[o * rank + k] as number);
        for (let i = 0; i < inDim; i++) {
          const at = o * inDim + i;
          data[at] = (data[at] as number) + coefficient * (a.data[k * inDim + i] as number);
        }
      }
    }
    merged.set(`${name}.weight`, { dims: [out, inDim], data });
  }
  return merged;
}
