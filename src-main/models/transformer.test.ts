// The tiny-model logits test per family: each committed fixture (written by
// scripts/model-fixtures/make_model_fixtures.py) is loaded, scored on onnxruntime-node CPU and compared with
// the PyTorch reference logits and completion log-probs at 1e-4, and where the fixture has a PEFT adapter,
// scored again with the adapter's LoRA branches against the reference with it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from './load-checkpoint';
import { loadPeftAdapter } from './lora';
import {
  ADAPTER_FIXTURE_NAMES,
  FIXTURE_NAMES,
  FIXTURES,
  GraphSession,
  int64,
  maxAbsDiff,
  readReference,
  type Reference,
  type Scores,
} from './test-support';
import { buildScoringGraph, type GraphOptions } from './transformer';

async function expectScores(name: string, expected: Scores, options: GraphOptions = {}): Promise<void> {
  const { config, weights } = loadCheckpoint(join(FIXTURES, name));
  const ref: Reference = readReference(name);
  const session = await GraphSession.open(buildScoringGraph(config, weights, options));
  const targets = ref.input_ids.map((row) => [...row.slice(1), 0]);
  const out = await session.run({
    input_ids: int64(ref.input_ids),
    attention_mask: int64(ref.attention_mask),
    targets: int64(targets),
  });
  await session.release();
  const logits = out.logits?.data as Float32Array;
  expect(out.logits?.dims).toEqual(expected.logits_shape);
  expect(maxAbsDiff(logits, expected.logits)).toBeLessThan(1e-4);

  const logprobs = out.token_logprobs?.data as Float32Array;
  const seq = ref.input_ids[0]?.length ?? 0;
  ref.input_ids.forEach((_, b) => {
    const mine = Array.from({ length: seq - 1 }, (_, t) => logprobs[b * seq + t] as number);
    expect(maxAbsDiff(mine, expected.next_token_logprobs[b] ?? [])).toBeLessThan(1e-4);
    const mask = ref.attention_mask[b] ?? [];
    let completion = 0;
    for (let t = ref.prompt_length - 1; t < seq - 1; t++) completion += (mask[t + 1] ?? 0) * (mine[t] ?? 0);
    expect(Math.abs(completion - (expected.completion_logprobs[b] ?? NaN))).toBeLessThan(1e-4);
  });
}

describe('scoring graph matches transformers (float32, ORT CPU)', () => {
  it.each(FIXTURE_NAMES)('%s: logits and completion log-probs at 1e-4', async (name) => {
    await expectScores(name, readReference(name));
  });

  it.each(ADAPTER_FIXTURE_NAMES)('%s with its PEFT adapter: logits and log-probs at 1e-4', async (name) => {
    const ref = readReference(name);
    if (!ref.adapter) throw new Error(`${name}: reference.json has no adapter scores`);
    const { config } = loadCheckpoint(join(FIXTURES, name));
    const adapter = loadPeftAdapter(join(FIXTURES, name, 'adapter'), config);
    // Every attention and MLP projection of every layer carries a pair (fused modules split).
    expect(adapter.weights.size).toBe(config.numLayers * 7);
    expect(maxAbsDiff(ref.adapter.logits, ref.logits)).toBeGreaterThan(1e-2);
    await expectScores(name, ref.adapter, { lora: adapter.weights });
  });
});
