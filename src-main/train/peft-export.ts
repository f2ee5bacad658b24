// The PEFT adapter folder (adapter_config.json + adapter_model.safetensors) that PEFT and vLLM load: writing a
// trained LoRA out, and reading one back with errors that name the file. Safetensors I/O is passed in.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoraWeights } from './lora';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** One F32 tensor as safetensors stores it (row-major). */
export interface F32Tensor {
  dtype: 'F32';
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsWriter {
  writeSafetensors(
    path: string,
    tensors: Record<string, F32Tensor>,
    metadata?: Record<string, string>,
  ): Promise<void>;
}

export interface SafetensorsReader {
  /** Throws on a malformed file; tensors of other dtypes may be returned converted to F32. */
  readSafetensors(path: string): Promise<Record<string, F32Tensor>>;
}

export interface ModuleAdapter extends LoraWeights {
  inFeatures: number;
  outFeatures: number;
}

export interface PeftAdapter {
  /** base_model_name_or_path: the Hugging Face id or local path of the base model. */
  baseModel: string;
  r: number;
  alpha: number;
  targetModules: string[];
  /** True for GPT-2 Conv1D bases (weights stored [in, out]). */
  fanInFanOut: boolean;
  /** Keyed by module path, e.g. `model.layers.0.self_attn.q_proj`. */
  modules: Record<string, ModuleAdapter>;
}

const PREFIX = 'base_model.model.';
const KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

export const loraKey = (module: string, which: 'A' | 'B'): string =>
  `${PREFIX}${module}.lora_${which}.weight`;

/**
 * adapter_config.json as PEFT's LoraConfig saves it. Only fields that PEFT has accepted for many releases
 * (older PEFT rejects unknown keys); vLLM reads r, lora_alpha, target_modules, bias, modules_to_save,
 * use_rslora and use_dora from it.
 */
export function adapterConfig(adapter: Omit<PeftAdapter, 'modules'>): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: adapter.baseModel,
    bias: 'none',
    fan_in_fan_out: adapter.fanInFanOut,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: adapter.alpha,
    lora_dropout: 0,
    modules_to_save: null,
    peft_type: 'LORA',
    r: adapter.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...adapter.targetModules].sort(),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
}

function checkModule(module: string, m: ModuleAdapter, r: number, where: string): void {
  if (m.a.length !== r * m.inFeatures)
    throw new Error(`${where}: ${module} lora_A has ${m.a.length} values, expected [${r}, ${m.inFeatures}]`);
  if (m.b.length !== m.outFeatures * r)
    throw new Error(`${where}: ${module} lora_B has ${m.b.length} values, expected [${m.outFeatures}, ${r}]`);
}

/** Writes `dir`/adapter_config.json and `dir`/adapter_model.safetensors (F32, PEFT's key names). */
export async function writePeftAdapter(
  dir: string,
  adapter: PeftAdapter,
  io: SafetensorsWriter,
): Promise<void> {
  const tensors: Record<string, F32Tensor> = {};
  for (const [module, m] of Object.entries(adapter.modules)) {
    checkModule(module, m, adapter.r, 'writePeftAdapter');
    tensors[loraKey(module, 'A')] = {
      dtype: 'F32',
      shape: [adapter.r, m.inFeatures],
      data: Float32Array.from(m.a),
    };
    tensors[loraKey(module, 'B')] = {
      dtype: 'F32',
      shape: [m.outFeatures, adapter.r],
      data: Float32Array.from(m.b),
    };
  }
  if (Object.keys(tensors).length === 0) throw new Error('writePeftAdapter: the adapter has no modules');
  await mkdir(dir, { recursive: true });
  await io.writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors, { format: 'pt' });
  const config = JSON.stringify(adapterConfig(adapter), null, 2);
  await writeFile(join(dir, ADAPTER_CONFIG_FILE), `${config}\n`);
}

function field<T>(
  config: Record<string, unknown>,
  name: string,
  ok: (v: unknown) => v is T,
  file: string,
): T {
  const value = config[name];
  if (!ok(value)) throw new Error(`${file}: field ${name} is missing or invalid (${JSON.stringify(value)})`);
  return value;
}

const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** Reads a PEFT LoRA adapter folder; every error names the file it is about. */
export async function readPeftAdapter(dir: string, io: SafetensorsReader): Promise<PeftAdapter> {
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    throw new Error(`${configPath}: cannot read (${(error as Error).message})`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${configPath}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${configPath}: not a JSON object`);
  const config = parsed as Record<string, unknown>;
  if (config.peft_type !== 'LORA')
    throw new Error(`${configPath}: peft_type is ${String(config.peft_type)}, not LORA`);
  if (config.use_dora === true) throw new Error(`${configPath}: DoRA adapters are not supported`);
  if (config.use_rslora === true) throw new Error(`${configPath}: rsLoRA scaling is not supported`);
  if ((config.bias ?? 'none') !== 'none')
    throw new Error(`${configPath}: bias ${String(config.bias)} is not supported`);
  const r = field(config, 'r', isPositiveInt, configPath);
  const alpha = field(config, 'lora_alpha', isNumber, configPath);
  const target = config.target_modules;
  const targetModules = isString(target)
    ? [target]
    : field(config, 'target_modules', isStringList, configPath);

  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  let tensors: Record<string, F32Tensor>;
  try {
    tensors = await io.readSafetensors(weightsPath);
  } catch (error) {
    throw new Error(`${weightsPath}: ${(error as Error).message}`, { cause: error });
  }
  const parts = new Map<string, { A?: F32Tensor; B?: F32Tensor }>();
  for (const [key, tensor] of Object.entries(tensors)) {
    const match = KEY.exec(key);
    if (!match)
      throw new Error(`${weightsPath}: unexpected tensor ${key} (want ${PREFIX}<module>.lora_A.weight)`);
    const [module, which] = [match[1] as string, match[2] as 'A' | 'B'];
    parts.set(module, { ...parts.get(module), [which]: tensor });
  }
  if (parts.size === 0) throw new Error(`${weightsPath}: no LoRA tensors`);
  const modules: Record<string, ModuleAdapter> = {};
  for (const [module, { A, B }] of parts) {
    if (!A || !B)
      throw new Error(`${weightsPath}: ${module} has lora_${A ? 'A' : 'B'} but no lora_${A ? 'B' : 'A'}`);
    const [rA, inFeatures] = A.shape;
    const [outFeatures, rB] = B.shape;
    if (A.shape.length !== 2 || B.shape.length !== 2 || rA !== r || rB !== r || !inFeatures || !outFeatures)
      throw new Error(
        `${weightsPath}: ${module} has lora_A [${A.shape.join(', ')}] and lora_B [${B.shape.join(', ')}], ` +
          `expected [${r}, in] and [out, ${r}] (r from ${ADAPTER_CONFIG_FILE})`,
      );
    modules[module] = { a: A.data, b: B.data, inFeatures, outFeatures };
  }
  return {
    baseModel: isString(config.base_model_name_or_path) ? config.base_model_name_or_path : '',
    r,
    alpha,
    targetModules,
    fanInFanOut: config.fan_in_fan_out === true,
    modules,
  };
}
