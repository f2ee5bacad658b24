// What the Models view needs to know about a checkpoint folder on disk, read from its headers only: the
// config, every needed tensor in an intact safetensors file with the shape the config implies, a tokenizer
// that fits the vocabulary, the stored dtype, the parameter count, the size on disk and
// generation_config.json's sampling values.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GenerationDefaults } from '../../../src-shared/api-models';
import {
  canonicalShape,
  hasThinkingSwitch,
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
  const tokenizer = ModelTokenizer.load(folder, {
    vocabSize: config.vocabSize,
    eosTokenIds: config.eosTokenIds,
  });
  checkTokenizerCoverage(folder, tokenizer.vocabSize, config.vocabSize);
  checkGenerationConfig(folder, config.vocabSize);
  return {
    config,
    rawConfig: JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8')) as unknown,
    architecture: config.architecture,
    dtype: [...dtypes].sort().join('+'),
    parameterCount,
  };
}

/**
 * Checkpoints pad vocab_size (and the embedding rows) a little past the tokenizer, to a multiple of 64 or
 * 128 (Qwen2.5: 151,665 tokens for 151,936 rows; Phi-3: 32,011 for 32,064). A tokenizer covering much less
 * belongs to another model: its ids would leave most of the embedding unused and decode wrongly.
 */
export const MIN_TOKENIZER_COVERAGE = 0.9;

function checkTokenizerCoverage(folder: string, tokens: number, vocabSize: number): void {
  if (tokens >= MIN_TOKENIZER_COVERAGE * vocabSize) return;
  throw new Error(
    `${path.join(folder, 'tokenizer.json')}: the tokenizer has ${tokens} tokens but config.json's vocab_size ` +
      `(and the embedding) has ${vocabSize} rows; a tokenizer covering under ${MIN_TOKENIZER_COVERAGE * 100}% ` +
      'of the vocabulary does not belong to this model',
  );
}

/** generation_config.json, when present, must be JSON whose sampling values make sense; errors name the file. */
function checkGenerationConfig(folder: string, vocabSize: number): void {
  const file = path.join(folder, 'generation_config.json');
  if (!existsSync(file)) return;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${file}: not a JSON object`);
  const values = raw as Record<string, unknown>;
  const rules: Array<[key: string, ok: (v: unknown) => boolean, rule: string]> = [
    ['temperature', (v) => typeof v === 'number' && v >= 0 && v <= 100, 'a number from 0 to 100'],
    ['top_p', (v) => typeof v === 'number' && v > 0 && v <= 1, 'a number above 0 and at most 1'],
    ['top_k', (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number >= 0'],
    ['max_new_tokens', (v) => Number.isInteger(v) && (v as number) >= 1, 'a whole number >= 1'],
    ['repetition_penalty', (v) => typeof v === 'number' && v > 0 && v <= 100, 'a number above 0'],
    [
      'eos_token_id',
      (v) =>
        [v].flat().every((id) => Number.isInteger(id) && (id as number) >= 0 && (id as number) < vocabSize),
      `a token id (or a list of ids) below vocab_size ${vocabSize}`,
    ],
  ];
  for (const [key, ok, rule] of rules) {
    const value = values[key];
    if (value !== undefined && value !== null && !ok(value))
      throw new Error(`${file}: ${key} is ${JSON.stringify(value)}; it must be ${rule}`);
  }
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

/** Whether the folder's chat template (chat_template.jinja, else tokenizer_config.json's) has enable_thinking. */
export function readThinkingSwitch(folder: string): boolean {
  const jinja = path.join(folder, 'chat_template.jinja');
  if (existsSync(jinja)) return hasThinkingSwitch(readFileSync(jinja, 'utf8'));
  const config = path.join(folder, 'tokenizer_config.json');
  if (!existsSync(config)) return false;
  try {
    const template = (JSON.parse(readFileSync(config, 'utf8')) as { chat_template?: unknown }).chat_template;
    return hasThinkingSwitch(typeof template === 'string' ? template : JSON.stringify(template ?? ''));
  } catch {
    return false;
  }
}
