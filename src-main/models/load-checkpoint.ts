// A Hugging Face checkpoint folder -> its ModelConfig and weights under canonical names, in their stored
// dtype (F32 as float32, F16/BF16 as 16-bit words), each checked against the shape the config implies.
// One copy per thread: a folder loaded again while its weights are alive gets the same weights. Errors
// name the folder or file and the tensor.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseModelConfig, type ModelConfig } from './config';
import { isHalf, SafetensorsCheckpoint, type WeightTensor } from './safetensors';
import { applyTransform, STRIPPABLE_PREFIXES, weightsFor } from './weight-names';

export interface Checkpoint {
  folder: string;
  config: ModelConfig;
  /**
   * canonical name (`layers.0.attn.q.weight`) -> tensor in the linear [out, in] layout, in the stored
   * dtype (widen() gives float32). Shared by every graph of the thread: never write into it.
   */
  weights: Map<string, WeightTensor>;
}

/** The shape a canonical tensor must have under `config`. */
export function canonicalShape(c: ModelConfig, name: string): number[] {
  const C = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const I = c.intermediateSize;
  const local = name.replace(/^layers\.\d+\./, '');
  const shapes: Record<string, number[]> = {
    'embed.weight': [c.vocabSize, C],
    'lmHead.weight': [c.vocabSize, C],
    'positions.weight': [c.maxPositions, C],
    'norm.weight': [C],
    'norm.bias': [C],
    'norm1.weight': [C],
    'norm1.bias': [C],
    'norm2.weight': [C],
    'norm2.bias': [C],
    'attnOutNorm.weight': [C],
    'mlpOutNorm.weight': [C],
    'attn.qNorm.weight': [c.headDim],
    'attn.kNorm.weight': [c.headDim],
    'attn.q.weight': [q, C],
    'attn.q.bias': [q],
    'attn.k.weight': [kv, C],
    'attn.k.bias': [kv],
    'attn.v.weight': [kv, C],
    'attn.v.bias': [kv],
    'attn.o.weight': [C, q],
    'attn.o.bias': [C],
    'mlp.gate.weight': [I, C],
    'mlp.gate.bias': [I],
    'mlp.up.weight': [I, C],
    'mlp.up.bias': [I],
    'mlp.down.weight': [C, I],
    'mlp.down.bias': [C],
  };
  const shape = shapes[local];
  if (!shape) throw new Error(`load-checkpoint: no shape rule for canonical tensor ${name}`);
  return shape;
}

export function readModelConfig(folder: string): ModelConfig {
  const path = join(folder, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`${folder}: no config.json in this folder; is it a Hugging Face checkpoint?`);
  }
  return parseModelConfig(text, path);
}

/**
 * The first non-finite value of a stored tensor: its index and value, or null. F16/BF16 words are checked by
 * their exponent bits (all ones: Inf or NaN), without widening.
 */
function firstNotFinite(t: WeightTensor): { index: number; value: number } | null {
  const data = t.data;
  if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++)
      if (!Number.isFinite(data[i])) return { index: i, value: data[i] as number };
    return null;
  }
  const mask = isHalf(t) && t.dtype === 'float16' ? 0x7c00 : 0x7f80;
  for (let i = 0; i < data.length; i++) {
    const w = data[i] as number;
    if ((w & mask) === mask) {
      const value = (w & (mask === 0x7c00 ? 0x3ff : 0x7f)) !== 0 ? NaN : w & 0x8000 ? -Infinity : Infinity;
      return { index: i, value };
    }
  }
  return null;
}

/** What identifies a folder's weights on disk: its config and safetensors files, their sizes and times. */
function folderStamp(folder: string): string {
  const files = readdirSync(folder)
    .filter((f) => f === 'config.json' || f.endsWith('.safetensors') || f.endsWith('.index.json'))
    .sort();
  return files
    .map((f) => {
      const st = statSync(join(folder, f));
      return `${f}:${st.size}:${st.mtimeMs}`;
    })
    .join('|');
}

/** Loaded checkpoints while someone holds them (weakly: a checkpoint nobody uses is collected). */
const loaded = new Map<string, { stamp: string; ref: WeakRef<Checkpoint> }>();

/**
 * Reads every tensor the config needs; extra tensors in the checkpoint (e.g. a tied lm_head) are ignored.
 * A folder whose files are unchanged and whose weights are still held elsewhere in this thread (a run's
 * reference and step graphs, a logprobs job) is not read again: the same Checkpoint is returned, so its
 * weights exist once. `own: true` reads a private copy (for a caller that moves the weights to a worker).
 */
export function loadCheckpoint(folder: string, options: { own?: boolean } = {}): Checkpoint {
  if (options.own) return readCheckpoint(folder);
  const key = resolve(folder);
  const stamp = (() => {
    try {
      return folderStamp(folder);
    } catch {
      return null; // readCheckpoint below names what is missing
    }
  })();
  const held = loaded.get(key);
  const live = held && held.stamp === stamp ? held.ref.deref() : undefined;
  if (live) return live.folder === folder ? live : { ...live, folder };
  const checkpoint = readCheckpoint(folder);
  if (stamp !== null) loaded.set(key, { stamp, ref: new WeakRef(checkpoint) });
  return checkpoint;
}

function readCheckpoint(folder: string): Checkpoint {
  const config = readModelConfig(folder);
  const store = SafetensorsCheckpoint.open(folder);
  const storedName = (hf: string): string => {
    if (store.has(hf)) return hf;
    for (const prefix of STRIPPABLE_PREFIXES[config.weightLayout]) {
      if (hf.startsWith(prefix) && store.has(hf.slice(prefix.length))) return hf.slice(prefix.length);
    }
    throw new Error(
      `${store.source}: tensor ${hf} is missing (needed for ${config.architecture} with ${config.numLayers} layers)`,
    );
  };
  let cached: { name: string; tensor: WeightTensor } | undefined;
  const weights = new Map<string, WeightTensor>();
  for (const w of weightsFor(config)) {
    const name = storedName(w.hf);
    if (cached?.name !== name) {
      cached = { name, tensor: store.readWeight(name) };
      const bad = firstNotFinite(cached.tensor);
      // Named here, a NaN in the weights is never mistaken for a NaN from sampling or training.
      if (bad)
        throw new Error(
          `${store.fileOf(name).path}: tensor ${name} holds ${bad.value} at index ${bad.index}: ` +
            "the checkpoint's weights are broken (not a training problem)",
        );
    }
    const { dims, data } = applyTransform(w.transform, cached.tensor.dims, cached.tensor.data);
    const expected = canonicalShape(config, w.canonical);
    if (dims.length !== expected.length || dims.some((d, i) => d !== expected[i])) {
      throw new Error(
        `${store.fileOf(name).path}: tensor ${name} has shape [${cached.tensor.dims.join(',')}], ` +
          `which does not fit config.json (${w.canonical} must be [${expected.join(',')}])`,
      );
    }
    weights.set(w.canonical, { ...cached.tensor, dims, data } as WeightTensor);
  }
  return { folder, config, weights };
}
