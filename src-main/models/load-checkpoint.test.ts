// Checkpoint folders -> canonical float32 weights: GPT-2's fused, transposed Conv1D split, prefix-less GPT-2
// names, clear errors (no config.json, no weights, a missing tensor, a wrong shape, a bad file), and the
// inverse mapping back to the checkpoint's own names and layouts.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from './load-checkpoint';
import { encodeSafetensors, SafetensorsFile, type TensorToWrite } from './safetensors';
import { toCheckpointTensors } from './weight-names';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** A copy of a fixture folder whose model.safetensors holds `edit(tensors)`. */
function editedCopy(
  name: string,
  edit: (t: Map<string, TensorToWrite>) => void,
  dtype: 'F32' | 'BF16' = 'F32',
): string {
  const folder = mkdtempSync(join(tmpdir(), 'checkpoint-'));
  cpSync(join(FIXTURES, name), folder, { recursive: true });
  const file = SafetensorsFile.open(join(folder, 'model.safetensors'));
  const tensors = new Map<string, TensorToWrite>(
    [...file.tensors.keys()].map((n) => [n, file.readFloat32(n)]),
  );
  edit(tensors);
  writeFileSync(join(folder, 'model.safetensors'), encodeSafetensors(tensors, dtype));
  return folder;
}

describe('loadCheckpoint', () => {
  it('maps Llama names to canonical ones and skips tensors the config does not use', () => {
    const { weights } = loadCheckpoint(join(FIXTURES, 'llama'));
    expect(weights.get('layers.1.attn.k.weight')?.dims).toEqual([24, 48]);
    expect(weights.has('lmHead.weight')).toBe(true);
    expect(loadCheckpoint(join(FIXTURES, 'qwen2')).weights.has('lmHead.weight')).toBe(false);
    expect(loadCheckpoint(join(FIXTURES, 'qwen2')).weights.get('layers.0.attn.v.bias')?.dims).toEqual([16]);
  });

  it("splits GPT-2's fused c_attn [in, 3*out] into q, k, v as [out, in]", () => {
    const raw = SafetensorsFile.open(join(FIXTURES, 'gpt2', 'model.safetensors'));
    const cAttn = raw.readFloat32('transformer.h.0.attn.c_attn.weight'); // (32, 96)
    const bias = raw.readFloat32('transformer.h.0.attn.c_attn.bias').data;
    const { weights } = loadCheckpoint(join(FIXTURES, 'gpt2'));
    const k = weights.get('layers.0.attn.k.weight');
    expect(k?.dims).toEqual([32, 32]);
    // k[o][i] = c_attn[i][32 + o]
    expect(k?.data[5 * 32 + 7]).toBe(cAttn.data[7 * 96 + 32 + 5]);
    expect(weights.get('layers.0.attn.v.bias')?.data[3]).toBe(bias[64 + 3]);
    const up = weights.get('layers.1.mlp.up.weight');
    expect(up?.dims).toEqual([128, 32]);
  });

  it('loads GPT-2 checkpoints stored without the transformer. prefix (the original gpt2 repository)', () => {
    const folder = editedCopy('gpt2', (t) => {
      for (const [name, value] of [...t]) {
        t.delete(name);
        t.set(name.replace(/^transformer\./, ''), value);
      }
    });
    const stripped = loadCheckpoint(folder).weights.get('layers.0.attn.q.weight')?.data;
    expect(stripped).toEqual(
      loadCheckpoint(join(FIXTURES, 'gpt2')).weights.get('layers.0.attn.q.weight')?.data,
    );
  });

  it('a folder without config.json', () => {
    const folder = mkdtempSync(join(tmpdir(), 'empty-'));
    expect(() => loadCheckpoint(folder)).toThrow(`${folder}: no config.json in this folder`);
  });

  it('a folder with config.json but no weights', () => {
    const folder = mkdtempSync(join(tmpdir(), 'no-weights-'));
    cpSync(join(FIXTURES, 'llama', 'config.json'), join(folder, 'config.json'));
    expect(() => loadCheckpoint(folder)).toThrow(
      `${folder}: no model.safetensors or model.safetensors.index.json in this folder`,
    );
  });

  it('a missing tensor names the tensor and the file', () => {
    const folder = editedCopy('llama', (t) => t.delete('model.layers.1.mlp.up_proj.weight'));
    expect(() => loadCheckpoint(folder)).toThrow(
      `${join(folder, 'model.safetensors')}: tensor model.layers.1.mlp.up_proj.weight is missing`,
    );
  });

  it('NaN in the weights names the file and the tensor (never blamed on sampling or training)', () => {
    const folder = editedCopy('llama', (t) => {
      t.get('model.layers.0.self_attn.v_proj.weight')!.data[4] = Number.NaN;
    });
    expect(() => loadCheckpoint(folder)).toThrow(
      `${join(folder, 'model.safetensors')}: tensor model.layers.0.self_attn.v_proj.weight holds NaN at index 4: ` +
        "the checkpoint's weights are broken (not a training problem)",
    );
  });

  it('an Inf among BF16 words is found without widening them, and named the same way', () => {
    const folder = editedCopy(
      'llama',
      (t) => {
        t.get('model.layers.1.mlp.down_proj.weight')!.data[7] = -Infinity;
      },
      'BF16',
    );
    expect(() => loadCheckpoint(folder)).toThrow(
      `${join(folder, 'model.safetensors')}: tensor model.layers.1.mlp.down_proj.weight holds -Infinity at index 7`,
    );
  });

  it('a tensor whose shape does not fit config.json', () => {
    const folder = editedCopy('llama', (t) =>
      t.set('model.norm.weight', { dims: [47], data: new Float32Array(47) }),
    );
    expect(() => loadCheckpoint(folder)).toThrow(
      'tensor model.norm.weight has shape [47], which does not fit config.json (norm.weight must be [48])',
    );
  });

  it('a truncated model.safetensors', () => {
    const folder = mkdtempSync(join(tmpdir(), 'truncated-'));
    cpSync(join(FIXTURES, 'llama'), folder, { recursive: true });
    const path = join(folder, 'model.safetensors');
    writeFileSync(path, readFileSync(path).subarray(0, 4000));
    expect(() => loadCheckpoint(folder)).toThrow(path);
  });
});

describe('toCheckpointTensors (canonical -> Hugging Face names and layouts)', () => {
  it.each(['llama', 'qwen2', 'gpt2', 'mistral'])('%s: gives back exactly the stored tensors', (name) => {
    const { config, weights } = loadCheckpoint(join(FIXTURES, name));
    const stored = SafetensorsFile.open(join(FIXTURES, name, 'model.safetensors'));
    const written = toCheckpointTensors(config, weights);
    expect([...written.keys()].sort()).toEqual([...stored.tensors.keys()].sort());
    for (const [hf, t] of written) expect(t).toEqual(stored.readFloat32(hf));
  });
});
