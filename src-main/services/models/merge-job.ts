// `merge`: base checkpoint + PEFT adapter -> a merged Hugging Face checkpoint folder (config.json, the
// tokenizer files, model.safetensors in the base's dtype) that loads without PEFT.
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadCheckpoint,
  loadPeftAdapter,
  mergeLora,
  toCheckpointTensors,
  writeSafetensors,
  type WritableDtype,
} from '../../models/index';

/** Copied as they are: the config and everything a tokenizer or generation needs. */
const COPIED = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
];

const DTYPES: Record<string, WritableDtype> = { float16: 'F16', bfloat16: 'BF16' };

export async function runMergeJob(options: {
  model: string;
  adapter: string;
  out: string;
}): Promise<{ dtype: WritableDtype; tensors: number }> {
  if (join(options.out) === join(options.model)) throw new Error('--out must not be the --model folder');
  const base = loadCheckpoint(options.model);
  const adapter = loadPeftAdapter(options.adapter, base.config);
  const merged = mergeLora(base.weights, adapter.weights);
  const tensors = toCheckpointTensors(base.config, merged);
  const dtype = DTYPES[base.config.torchDtype ?? ''] ?? 'F32';
  await mkdir(options.out, { recursive: true });
  writeSafetensors(join(options.out, 'model.safetensors'), tensors, dtype);
  for (const file of COPIED)
    if (existsSync(join(options.model, file)))
      await copyFile(join(options.model, file), join(options.out, file));
  return { dtype, tensors: tensors.size };
}
