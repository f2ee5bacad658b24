// The fixtures are built so that each family's distinctive switch matters: getting it wrong (the RMS eps,
// Gemma's window, unit-offset norm, embedding scale, attention scalar and softcap, Qwen3's q/k norm,
// SmolLM3's RoPE-less layer, Phi's partial rotary, longrope's long factors) moves the logits far past the
// 1e-4 the reference test allows, so a passing reference test means the switch is computed as transformers does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from './config';
import { loadCheckpoint } from './load-checkpoint';
import { FIXTURES, GraphSession, int64, maxAbsDiff, readReference } from './test-support';
import { buildScoringGraph } from './transformer';

async function logitsWith(name: string, change: (c: ModelConfig) => ModelConfig): Promise<number> {
  const { config, weights } = loadCheckpoint(join(FIXTURES, name));
  const ref = readReference(name);
  const session = await GraphSession.open(buildScoringGraph(change(config), weights));
  const out = await session.run({
    input_ids: int64(ref.input_ids),
    attention_mask: int64(ref.attention_mask),
    targets: int64(ref.input_ids),
  });
  await session.release();
  return maxAbsDiff(out.logits?.data as Float32Array, ref.logits);
}

describe('each family switch changes the logits (the fixtures make it loud)', () => {
  it.each<[string, string, (c: ModelConfig) => ModelConfig]>([
    ['qwen3', 'RMS eps 1e-6 instead of 0.5', (c) => ({ ...c, normEps: 1e-6 })],
    ['qwen3', 'no q/k norm', (c) => ({ ...c, qkNorm: false })],
    ['qwen3', 'scores scaled by hidden / heads', (c) => ({ ...c, attentionScale: 1 / Math.sqrt(8) })],
    [
      'gemma3',
      'no sliding window',
      (c) => ({ ...c, layers: c.layers.map((l) => ({ ...l, sliding: false })) }),
    ],
    ['gemma3', 'a window one longer', (c) => ({ ...c, slidingWindow: 4 })],
    [
      'gemma3',
      'the global RoPE on sliding layers',
      (c) => ({ ...c, layers: c.layers.map((l) => ({ ...l, rope: 'global' as const })) }),
    ],
    ['gemma3', 'RMSNorm by w, not 1 + w', (c) => ({ ...c, normUnitOffset: false })],
    ['gemma3', 'no embedding scale', (c) => ({ ...c, embedScale: null })],
    ['gemma3', 'no final softcap', (c) => ({ ...c, finalLogitSoftcap: null })],
    ['gemma3', 'head_dim^-0.5 scores', (c) => ({ ...c, attentionScale: 0.25 })],
    ['gemma3', 'no post-sublayer norms', (c) => ({ ...c, blockOutputNorms: false })],
    [
      'smollm3',
      'RoPE on every layer',
      (c) => ({ ...c, layers: c.layers.map((l) => ({ ...l, rope: 'global' as const })) }),
    ],
    ['phi3', 'full rotary', (c) => ({ ...c, rotaryDim: c.headDim })],
    ['phi3', 'no sliding window', (c) => ({ ...c, layers: c.layers.map((l) => ({ ...l, sliding: false })) })],
    ['phi3-longrope', 'no rope scaling', (c) => ({ ...c, ropeScaling: { type: 'none' } })],
    [
      'phi3-longrope',
      'the short factors past the original context',
      (c) =>
        c.ropeScaling.type === 'longrope'
          ? { ...c, ropeScaling: { ...c.ropeScaling, originalMaxPositionEmbeddings: 64 } }
          : c,
    ],
  ])('%s: %s', async (name, _what, change) => {
    expect(await logitsWith(name, change)).toBeGreaterThan(1e-3);
  });

  it('the fixture configs carry the loud values', () => {
    const raw = (name: string): Record<string, unknown> =>
      JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(raw('gemma3')).toMatchObject({ sliding_window: 3, head_dim: 16, hidden_size: 32 });
    expect(raw('gemma3').tie_word_embeddings).toBeUndefined(); // tied by the class default
    expect(raw('qwen3')).toMatchObject({ rms_norm_eps: 0.5, head_dim: 16, hidden_size: 32 });
    expect(readReference('gemma3').input_ids[0]).toHaveLength(7);
  });
});
