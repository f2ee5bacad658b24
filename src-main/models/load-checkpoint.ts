// A Hugging Face checkpoint folder -> its ModelConfig and float32 weights under canonical names, each
// checked against the shape the config implies. Errors name the folder or file and the tensor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelConfig, type ModelConfig } from './config';
import { SafetensorsCheckpoint, type FloatTensor } from './safetensors';
import { applyTransform, STRIPPABLE_PREFIXES, weightsFor } from './weight-names';

export interface Checkpoint {
  folder: string;
  config: ModelConfig;
  /** canonical name (`layers.0.attn.q.weight`) -> float32 tensor in the linear [out, in] layout */
  weights: Map<string, FloatTensor>;
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

function firstNotFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** Reads every tensor the config needs; extra tensors in the checkpoint (e.g. a tied lm_head) are ignored. */
export function loadCheckpoint(folder: string): Checkpoint {
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
  let cached: { name: string; tensor: FloatTensor } | undefined;
  const weights = new Map<string, FloatTensor>();
  for (const w of weightsFor(config)) {
    const name = storedName(w.hf);
    if (cached?.name !== name) {
      cached = { name, tensor: store.readFloat32(name) };
      const bad = firstNotFinite(cached.tensor.data);
      // Named here, a NaN in the weights is never mistaken for a NaN from sampling or training.
      if (bad >= 0)
        throw new Error(
          `${store.fileOf(name).path}: tensor ${name} holds ${cached.tensor.data[bad]} at index ${bad}: ` +
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
    weights.set(w.canonical, { dims, data });
  }
  return { folder, config, weights };
}
