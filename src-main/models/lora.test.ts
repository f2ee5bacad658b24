// PEFT adapters: key mapping to our projections (GPT-2's fused c_attn split), merge math against a fused
// Conv1D merge done by hand, the graph's LoRA branches equal to scoring the merged weights, and bad adapters.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from './load-checkpoint';
import { loadPeftAdapter, mergeLora } from './lora';
import { encodeSafetensors, SafetensorsFile, type TensorToWrite } from './safetensors';
import { FIXTURES, GraphSession, int64, maxAbsDiff, readReference } from './test-support';
import { buildScoringGraph } from './transformer';
import { toCheckpointTensors } from './weight-names';

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff - 0.5;
  };
}

/** An adapter folder with `pairs` (module path -> [in, out]) at rank 4 and lora_alpha 8. */
function adapterFolder(
  pairs: Record<string, [number, number]>,
  config: Record<string, unknown> = {},
): string {
  const next = random(7);
  const tensors = new Map<string, TensorToWrite>();
  for (const [module, [inDim, out]] of Object.entries(pairs)) {
    tensors.set(`base_model.model.${module}.lora_A.weight`, {
      dims: [4, inDim],
      data: Float32Array.from({ length: 4 * inDim }, next),
    });
    tensors.set(`base_model.model.${module}.lora_B.weight`, {
      dims: [out, 4],
      data: Float32Array.from({ length: out * 4 }, next),
    });
  }
  const folder = mkdtempSync(join(tmpdir(), 'adapter-'));
  writeFileSync(join(folder, 'adapter_model.safetensors'), encodeSafetensors(tensors, 'F32'));
  const adapterConfig = { peft_type: 'LORA', r: 4, lora_alpha: 8, bias: 'none', ...config };
  writeFileSync(join(folder, 'adapter_config.json'), JSON.stringify(adapterConfig));
  return folder;
}

describe('loadPeftAdapter', () => {
  it('maps PEFT module paths to our projections with scale alpha / r (or alpha / sqrt r for rsLoRA)', () => {
    const { config } = loadCheckpoint(join(FIXTURES, 'llama'));
    const pairs = {
      'model.layers.0.self_attn.q_proj': [48, 48],
      'model.layers.1.mlp.down_proj': [96, 48],
    } as Record<string, [number, number]>;
    const adapter = loadPeftAdapter(adapterFolder(pairs), config);
    expect([...adapter.weights.keys()]).toEqual(['layers.0.attn.q', 'layers.1.mlp.down']);
    expect(adapter.scale).toBe(2);
    expect(loadPeftAdapter(adapterFolder(pairs, { use_rslora: true }), config).scale).toBe(4);
  });

  it("splits GPT-2's fused c_attn pair so the merge equals c_attn + scale (B A)^T done by hand", () => {
    const { config, weights } = loadCheckpoint(join(FIXTURES, 'gpt2'));
    const folder = adapterFolder({ 'transformer.h.0.attn.c_attn': [32, 96] });
    const adapter = loadPeftAdapter(folder, config);
    expect([...adapter.weights.keys()]).toEqual(['layers.0.attn.q', 'layers.0.attn.k', 'layers.0.attn.v']);
    const merged = toCheckpointTensors(config, mergeLora(weights, adapter.weights));
    const raw = SafetensorsFile.open(join(folder, 'adapter_model.safetensors'));
    const a = raw.readFloat32('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight').data; // (4, 32)
    const b = raw.readFloat32('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight').data; // (96, 4)
    const base = SafetensorsFile.open(join(FIXTURES, 'gpt2', 'model.safetensors'));
    const cAttn = base.readFloat32('transformer.h.0.attn.c_attn.weight').data; // (32, 96) Conv1D
    const expected = Float32Array.from(cAttn, (v, at) => {
      const [i, o] = [Math.floor(at / 96), at % 96];
      let delta = 0;
      for (let k = 0; k < 4; k++) delta += (b[o * 4 + k] as number) * (a[k * 32 + i] as number);
      return v + 2 * delta;
    });
    expect(maxAbsDiff(merged.get('transformer.h.0.attn.c_attn.weight')?.data ?? [], expected)).toBeLessThan(
      1e-6,
    );
  });

  it('an adapter tensor that matches no projection, or the wrong rank, names the file', () => {
    const { config } = loadCheckpoint(join(FIXTURES, 'llama'));
    const stray = adapterFolder({ 'model.layers.9.self_attn.q_proj': [48, 48] });
    expect(() => loadPeftAdapter(stray, config)).toThrow(
      `${join(stray, 'adapter_model.safetensors')}: 2 tensor(s) match no LlamaForCausalLM projection`,
    );
    const wrongRank = adapterFolder({ 'model.layers.0.self_attn.q_proj': [48, 48] }, { r: 8 });
    expect(() => loadPeftAdapter(wrongRank, config)).toThrow('do not have rank r=8');
    const noConfig = mkdtempSync(join(tmpdir(), 'adapter-'));
    expect(() => loadPeftAdapter(noConfig, config)).toThrow(
      `${join(noConfig, 'adapter_config.json')}: cannot read`,
    );
  });
});

describe('LoRA branches in the graph equal scoring the merged weights', () => {
  it.each([
    ['qwen2', { 'model.layers.0.self_attn.v_proj': [32, 16], 'model.layers.1.mlp.gate_proj': [32, 64] }],
    ['gpt2', { 'transformer.h.1.attn.c_attn': [32, 96], 'transformer.h.0.mlp.c_proj': [128, 32] }],
  ] as [string, Record<string, [number, number]>][])('%s', async (name, pairs) => {
    const { config, weights } = loadCheckpoint(join(FIXTURES, name));
    const adapter = loadPeftAdapter(adapterFolder(pairs), config);
    const ref = readReference(name);
    const feeds = {
      input_ids: int64(ref.input_ids),
      attention_mask: int64(ref.attention_mask),
      targets: int64(ref.input_ids),
    };
    const logits = async (graph: ReturnType<typeof buildScoringGraph>): Promise<Float32Array> => {
      const session = await GraphSession.open(graph);
      const out = await session.run(feeds);
      await session.release();
      return out.logits?.data as Float32Array;
    };
    const branches = await logits(buildScoringGraph(config, weights, { lora: adapter.weights }));
    const merged = await logits(buildScoringGraph(config, mergeLora(weights, adapter.weights)));
    expect(maxAbsDiff(branches, merged)).toBeLessThan(1e-4);
    expect(maxAbsDiff(branches, ref.logits)).toBeGreaterThan(1e-2);
  });
});
