import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../models/index';
import { collateLmRows, LmTrainer } from './causal-lm';
import { initTinyWeights } from './tiny-model';

describe('collateLmRows', () => {
  it('shifts targets by one, pads on the right and puts loss only on the tokens after the prompt', () => {
    const batch = collateLmRows(
      [
        { ids: [5, 6, 7, 8], promptLength: 2 },
        { ids: [9, 10, 11], promptLength: 1 },
      ],
      0,
    );
    expect(batch.dims).toEqual([2, 3]);
    expect([...batch.inputIds]).toEqual([5n, 6n, 7n, 9n, 10n, 0n]);
    expect([...batch.targets]).toEqual([6n, 7n, 8n, 10n, 11n, 0n]);
    expect([...batch.attentionMask]).toEqual([1n, 1n, 1n, 1n, 1n, 0n]);
    // row 0: targets 7 and 8 are the answer; row 1: targets 10 and 11
    expect([...batch.lossMask]).toEqual([0, 1, 1, 1, 1, 0]);
    expect(batch.lossTokens).toBe(4);
  });

  it('rejects a row with no answer tokens', () => {
    expect(() => collateLmRows([{ ids: [1, 2], promptLength: 2 }], 0)).toThrow(/row 0 has prompt length 2/);
  });
});

describe('LmTrainer (full-parameter cross-entropy)', () => {
  it('learns a fixed batch: the loss falls well below its start in a few AdamW steps', async () => {
    const config = parseModelConfig(
      JSON.stringify({
        architectures: ['LlamaForCausalLM'],
        hidden_size: 16,
        intermediate_size: 32,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        num_key_value_heads: 1,
        vocab_size: 24,
        max_position_embeddings: 16,
        tie_word_embeddings: true,
      }),
    );
    const weights = initTinyWeights(config, 1);
    const trainer = await LmTrainer.open(config, weights, {
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 },
      maxGradNorm: 1,
      threads: 1,
    });
    try {
      const batch = collateLmRows(
        [
          { ids: [1, 2, 3, 4, 5, 6], promptLength: 2 },
          { ids: [7, 8, 9, 10, 11], promptLength: 3 },
        ],
        0,
      );
      const first = await trainer.step(batch, 0.05);
      expect(first.loss).toBeCloseTo(Math.log(24), 0); // an untrained model guesses uniformly
      let last = first.loss;
      for (let i = 0; i < 30; i++) last = (await trainer.step(batch, 0.05)).loss;
      expect(last).toBeLessThan(first.loss / 4);
      const trained = trainer.weights(weights);
      expect(trained.get('embed.weight')?.data).not.toEqual(weights.get('embed.weight')?.data);
      expect(trained.get('layers.0.norm1.weight')?.data).not.toEqual(
        weights.get('layers.0.norm1.weight')?.data,
      );
    } finally {
      await trainer.close();
    }
  });
});
