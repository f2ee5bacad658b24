// What the Models view needs to know about a checkpoint folder on disk, read from its headers only: the
// config, every needed tensor in an intact safetensors file with the shape the config implies, a tokenizer
// that fits the vocabulary, the stored dtype, the parameter count, the size on disk and
// generation_config.json's sampling values.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GenerationDefaults } from '../../../src-shared/api-models';
import {
  canonicalShape,
  ModelTokenizer,
  readModelConfig,
  SafetensorsCheckpoint,
  transformedDims,
  weightsFor,
  type ModelConfig,
} from '../../models/index';
import { STRIPPABLE_PREFIXES } from '../../models/weight-names';

export interface CheckpointSummary {
  config: ModelConfig;
  /** config.json as written, kept with the version. */
  rawConfig: unknown;
  architecture: string;
  /** The stored tensors' dtypes (float32, float16, bfloat16), joined with '+' when mixed. */
  dtype: string;
  parameterCount: number;
}

const DTYPE_NAMES: Record<string, string> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  BOOL: 'bool',
};

/**
 * Checks that `folder` is a checkpoint the workbench can load and sample from; every error names the file
 * at fault (config.json, a safetensors file or its index, tokenizer.json). Reads headers, not weights.
 */
export function inspectCheckpoint(folder: string): CheckpointSummary {
  if (!existsSync(folder)) throw new Error(`${folder}: no such folder`);
  if (!statSync(folder).isDirectory()) throw new Error(`${folder}: not a folder`);
  const config = readModelConfig(folder);
  const store = SafetensorsCheckpoint.open(folder);
  // Each stored tensor the model uses, once (GPT-2's fused c_attn feeds three canonical weights).
  const used = new Set<string>();
  for (const weight of weightsFor(config)) {
    const candidates = [
      weight.hf,
      ...STRIPPABLE_PREFIXES[config.weightLayout]
        .filter((prefix) => weight.hf.startsWith(prefix))
        .map((prefix) => weight.hf.slice(prefix.length)),
    ];
    const name = candidates.find((candidate) => store.has(candidate));
    if (name === undefined) {
      throw new Error(
        `${store.source}: tensor ${weight.hf} is missing (needed for ${config.architecture} with ${config.numLayers} layers)`,
      );
    }
    used.add(name);
    // The shape check loadCheckpoint makes, from the header alone.
    const stored = store.fileOf(name).info(name).shape;
    const dims = transformedDims(weight.transform, stored);
    const expected = canonicalShape(config, weight.canonical);
    if (dims.length !== expected.length || dims.some((d, i) => d !== expected[i])) {
      throw new Error(
        `${store.fileOf(name).path}: tensor ${name} has shape [${stored.join(',')}], ` +
          `which does not fit config.json (${weight.canonical} must be [${expected.join(',')}])`,
      );
    }
  }
  const dtypes = new Set<string>();
  let parameterCount = 0;
  for (const name of used) {
    // Opening each file checks its header against the file's length: a truncated file fails here.
    const info = store.fileOf(name).info(name);
    dtypes.add(DTYPE_NAMES[info.dtype] ?? info.dtype);
    parameterCount += info.shape.reduce((a, b) => a * b, 1);
  }
  ModelTokenizer.load(folder, { vocabSize: config.vocabSize, eosTokenIds: config.eosTokenIds });
  return {
    config,
    rawConfig: JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8')) as unknown,
    architecture: config.architecture,
    dtype: [...dtypes].sort().join('+'),
    parameterCount,
  };
}

/** Total bytes of the files under `folder`; null when it no longer exists. */
export function folderSize(folder: string): number | null {
  if (!existsSync(folder)) return null;
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

const NO_DEFAULTS: GenerationDefaults = { temperature: null, topP: null, topK: null, maxNewTokens: null };

/** generation_config.json's sampling values; nulls when the file is absent or unreadable. */
export function readGenerationDefaults(folder: string): GenerationDefaults {
  const file = path.join(folder, 'generation_config.json');
  if (!existsSync(file)) return NO_DEFAULTS;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return NO_DEFAULTS;
  }
  const num = (key: string) => (typeof raw[key] === 'number' ? raw[key] : null);
  const int = (key: string) => (Number.isInteger(raw[key]) ? (raw[key] as number) : null);
  return {
    temperature: num('temperature'),
    topP: num('top_p'),
    topK: int('top_k'),
    maxNewTokens: int('max_new_tokens'),
  };
}
