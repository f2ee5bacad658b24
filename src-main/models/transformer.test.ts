// The tiny-model logits test per family: each committed fixture (written by
// scripts/model-fixtures/make_model_fixtures.py) is loaded, scored on onnxruntime-node CPU and compared with
// the PyTorch reference logits and completion log-probs at 1e-4.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from './load-checkpoint';
import { FIXTURE_NAMES, FIXTURES, GraphSession, int64, maxAbsDiff, readReference } from './test-support';
import { buildScoringGraph } from './transformer';

describe('scoring graph matches transformers (float32, ORT CPU)', () => {
  it.each(FIXTURE_NAMES)('%s: logits and completion log-probs at 1e-4', async (name) => {
    const { config, weights } = loadCheckpoint(join(FIXTURES, name));
    const ref = readReference(name);
    const session = await GraphSession.open(buildScoringGraph(config, weights));
    const targets = ref.input_ids.map((row) => [...row.slice(1), 0]);
    const out = await session.run({
      input_ids: int64(ref.input_ids),
      attention_mask: int64(ref.attention_mask),
      targets: int64(targets),
    });
    await session.release();
    const logits = out.logits?.data as Float32Array;
    expect(out.logits?.dims).toEqual(ref.logits_shape);
    expect(maxAbsDiff(logits, ref.logits)).toBeLessThan(1e-4);

    const logprobs = out.token_logprobs?.data as Float32Array;
    const seq = ref.input_ids[0]?.length ?? 0;
    ref.input_ids.forEach((_, b) => {
      const mine = Array.from({ length: seq - 1 }, (_, t) => logprobs[b * seq + t] as number);
      expect(maxAbsDiff(mine, ref.next_token_logprobs[b] ?? [])).toBeLessThan(1e-4);
      const mask = ref.attention_mask[b] ?? [];
      let completion = 0;
      for (let t = ref.prompt_length - 1; t < seq - 1; t++) completion += (mask[t + 1] ?? 0) * (mine[t] ?? 0);
      expect(Math.abs(completion - (ref.completion_logprobs[b] ?? NaN))).toBeLessThan(1e-4);
    });
  });
});
