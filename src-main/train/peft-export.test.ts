// PEFT adapter folder: config fields, key names, a write/read round trip, byte-exact safetensors header, an
// independent reader (Debian's torch, when present) reading our bytes, and errors that name the file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initLoraWeights } from './lora';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  readPeftAdapter,
  writePeftAdapter,
  type PeftAdapter,
} from './peft-export';
import { Rng } from './rng';
import { encodeSafetensors, testSafetensorsIO } from './testing/safetensors';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peft-export-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function adapter(): PeftAdapter {
  const rng = new Rng(3);
  const module = (inFeatures: number, outFeatures: number) => {
    const w = initLoraWeights(inFeatures, outFeatures, 2, rng);
    w.b.forEach((_, i) => (w.b[i] = rng.uniform(-1, 1)));
    return { ...w, inFeatures, outFeatures };
  };
  return {
    baseModel: 'HuggingFaceTB/SmolLM2-135M',
    r: 2,
    alpha: 4,
    targetModules: ['v_proj', 'q_proj'],
    fanInFanOut: false,
    modules: {
      'model.layers.0.self_attn.q_proj': module(6, 6),
      'model.layers.0.self_attn.v_proj': module(6, 3),
    },
  };
}

const SCRIPT = 'scripts/train-fixtures/make_dpo_fixtures.py';
const torchAvailable =
  existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;

describe('PEFT adapter export', () => {
  it('writes the config fields PEFT and vLLM read', async () => {
    await writePeftAdapter(dir, adapter(), testSafetensorsIO);
    const config = JSON.parse(await readFile(join(dir, ADAPTER_CONFIG_FILE), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 2,
      lora_alpha: 4,
      lora_dropout: 0,
      target_modules: ['q_proj', 'v_proj'],
      bias: 'none',
      base_model_name_or_path: 'HuggingFaceTB/SmolLM2-135M',
      fan_in_fan_out: false,
      inference_mode: true,
      use_rslora: false,
      use_dora: false,
      modules_to_save: null,
    });
  });

  it("round-trips through PEFT's key names with F32 values", async () => {
    const original = adapter();
    await writePeftAdapter(dir, original, testSafetensorsIO);
    const tensors = await testSafetensorsIO.readSafetensors(join(dir, ADAPTER_WEIGHTS_FILE));
    expect(Object.keys(tensors).sort()).toEqual([
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
      'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight',
      'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight',
    ]);
    expect(tensors['base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight']!.shape).toEqual([3, 2]);
    const back = await readPeftAdapter(dir, testSafetensorsIO);
    expect(back).toEqual({ ...original, targetModules: ['q_proj', 'v_proj'] });
  });

  it('the safetensors header is byte-exact to the format (u64 LE length, JSON, space padding to 8)', () => {
    const bytes = encodeSafetensors(
      { 'base_model.model.m.lora_A.weight': { dtype: 'F32', shape: [1, 2], data: Float32Array.of(1, -2) } },
      { format: 'pt' },
    );
    const json =
      '{"__metadata__":{"format":"pt"},"base_model.model.m.lora_A.weight":' +
      '{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}';
    const padded = json + ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
    expect(bytes.readBigUInt64LE(0)).toBe(BigInt(padded.length));
    expect(bytes.subarray(8, 8 + padded.length).toString('latin1')).toBe(padded);
    expect((8 + padded.length) % 8).toBe(0);
    expect([...bytes.subarray(8 + padded.length)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });

  it.skipIf(!torchAvailable)(
    // skipped where Debian's python3-torch is absent: it is the independent reader
    'an independent reader (torch, per the spec) reads the bytes we wrote',
    async () => {
      const original = adapter();
      await writePeftAdapter(dir, original, testSafetensorsIO);
      const run = spawnSync(
        '/usr/bin/python3',
        [SCRIPT, '--read-safetensors', join(dir, ADAPTER_WEIGHTS_FILE)],
        {
          encoding: 'utf8',
        },
      );
      expect(run.stderr).toBe('');
      const read = JSON.parse(run.stdout) as {
        metadata: Record<string, string>;
        tensors: Record<string, { dtype: string; shape: number[]; data: number[] }>;
      };
      expect(read.metadata).toEqual({ format: 'pt' });
      const q = original.modules['model.layers.0.self_attn.q_proj']!;
      const a = read.tensors['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight']!;
      expect(a.dtype).toBe('F32');
      expect(a.shape).toEqual([2, 6]);
      expect(a.data).toEqual(Array.from(Float32Array.from(q.a)));
    },
  );

  it('errors name the file: missing config, bad JSON, wrong type, shape mismatch, unpaired tensor', async () => {
    await expect(readPeftAdapter(dir, testSafetensorsIO)).rejects.toThrow(
      `${ADAPTER_CONFIG_FILE}: cannot read`,
    );
    await writeFile(join(dir, ADAPTER_CONFIG_FILE), '{ not json');
    await expect(readPeftAdapter(dir, testSafetensorsIO)).rejects.toThrow(
      /adapter_config.json: not valid JSON/,
    );
    await writeFile(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify({ peft_type: 'IA3' }));
    await expect(readPeftAdapter(dir, testSafetensorsIO)).rejects.toThrow(
      /adapter_config.json: peft_type is IA3/,
    );

    await writePeftAdapter(dir, adapter(), testSafetensorsIO);
    const configPath = join(dir, ADAPTER_CONFIG_FILE);
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, r: 3 }));
    await expect(readPeftAdapter(dir, testSafetensorsIO)).rejects.toThrow(
      /adapter_model.safetensors: model.layers.0.self_attn.q_proj has lora_A \[2, 6\]/,
    );
    await writeFile(configPath, JSON.stringify(config));
    const only = {
      'base_model.model.x.lora_A.weight': { dtype: 'F32' as const, shape: [2, 1], data: new Float32Array(2) },
    };
    await testSafetensorsIO.writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), only);
    await expect(readPeftAdapter(dir, testSafetensorsIO)).rejects.toThrow(
      /adapter_model.safetensors: x has lora_A but no lora_B/,
    );
  });
});
