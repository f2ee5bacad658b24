// bench/random-checkpoint.ts: the real configs give the published parameter counts, a shrunk copy loads
// through loadCheckpoint with the config's switches (Qwen2 q/k/v biases, llama3 rope scaling), and shards
// hold the same weights as one file.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  llama32_1bConfig,
  plannedTensors,
  qwen25_05bConfig,
  writeRandomCheckpoint,
} from '../bench/random-checkpoint';
import { loadCheckpoint, widen } from '../src-main/models/index';

const count = (c: ReturnType<typeof qwen25_05bConfig>): number =>
  plannedTensors(c).reduce((n, t) => n + t.shape.reduce((a, d) => a * d, 1), 0);

describe('random real-shape checkpoints', () => {
  it('have the parameter counts of Qwen2.5-0.5B and Llama-3.2-1B', () => {
    expect(count(qwen25_05bConfig())).toBe(494_032_768);
    expect(count(llama32_1bConfig())).toBe(1_235_814_400);
  });

  it('load as BF16 checkpoints with the config switches', () => {
    const dir = mkdtempSync(join(tmpdir(), 'random-checkpoint-'));
    try {
      const small = { num_hidden_layers: 2, vocab_size: 512, bos_token_id: 1, eos_token_id: 2 };
      writeRandomCheckpoint(join(dir, 'qwen'), { ...qwen25_05bConfig(), ...small });
      const qwen = loadCheckpoint(join(dir, 'qwen'));
      expect(qwen.config.qkvBias).toBe(true);
      expect(qwen.weights.get('layers.1.attn.k.weight')?.dims).toEqual([128, 896]);
      const q = widen(qwen.weights.get('layers.0.attn.q.weight')!).data; // stored as BF16 words
      const std = Math.sqrt(q.reduce((s, v) => s + v * v, 0) / q.length);
      expect(std).toBeGreaterThan(0.019);
      expect(std).toBeLessThan(0.021);
      writeRandomCheckpoint(join(dir, 'llama'), { ...llama32_1bConfig(), ...small });
      const llama = loadCheckpoint(join(dir, 'llama'));
      expect(llama.config.ropeScaling.type).toBe('llama3');
      expect(llama.weights.has('layers.0.attn.q.bias')).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('write the same weights as shards of a few layers (bench:scale)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'random-checkpoint-'));
    try {
      const small = {
        ...qwen25_05bConfig(),
        hidden_size: 112,
        intermediate_size: 64,
        num_hidden_layers: 3,
        vocab_size: 512,
        bos_token_id: 1,
        eos_token_id: 2,
      };
      const params = writeRandomCheckpoint(join(dir, 'one'), small);
      expect(writeRandomCheckpoint(join(dir, 'shards'), small, { layersPerShard: 2 })).toBe(params);
      expect(readdirSync(join(dir, 'shards')).filter((f) => f.endsWith('.safetensors'))).toHaveLength(3);
      const one = loadCheckpoint(join(dir, 'one')).weights;
      const shards = loadCheckpoint(join(dir, 'shards')).weights;
      expect([...shards.keys()].sort()).toEqual([...one.keys()].sort());
      for (const name of ['layers.2.attn.q.weight', 'layers.2.norm1.weight', 'embed.weight'])
        expect(widen(shards.get(name)!).data).toEqual(widen(one.get(name)!).data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
