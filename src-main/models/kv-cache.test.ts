// The KV-cache path agrees with the scoring graph: prefill the prompt, then decode one token at a time
// feeding the cache back; every real token's log-prob (and the last logits) match full-sequence scoring,
// also for left-padded batches with position_ids, and the decode graph with an empty cache is a prefill.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from './load-checkpoint';
import { buildCachedStepGraph, buildScoringGraph } from './transformer';
import {
  FIXTURE_NAMES,
  FIXTURES,
  GraphSession,
  int64,
  maxAbsDiff,
  readReference,
  type Fed,
} from './test-support';

describe('prefill + decode with a KV cache equal the scoring graph', () => {
  it.each(FIXTURE_NAMES)('%s', async (name) => {
    const { config, weights } = loadCheckpoint(join(FIXTURES, name));
    const ref = readReference(name);
    const ids = ref.input_ids;
    const mask = ref.attention_mask;
    const seq = ids[0]?.length ?? 0;
    const targets = ids.map((row) => [...row.slice(1), 0]);
    const columns = (rows: number[][], start: number, end: number): number[][] =>
      rows.map((row) => row.slice(start, end));

    const scoring = await GraphSession.open(buildScoringGraph(config, weights));
    const full = await scoring.run({
      input_ids: int64(ids),
      attention_mask: int64(mask),
      targets: int64(targets),
    });
    const fullLogprobs = full.token_logprobs?.data as Float32Array;
    const fullLogits = full.logits?.data as Float32Array;

    const prefill = await GraphSession.open(buildCachedStepGraph(config, weights, { past: false }));
    const decode = await GraphSession.open(buildCachedStepGraph(config, weights, { past: true }));
    const p = ref.prompt_length;
    let out = await prefill.run({
      input_ids: int64(columns(ids, 0, p)),
      attention_mask: int64(columns(mask, 0, p)),
      targets: int64(columns(targets, 0, p)),
    });
    const V = config.vocabSize;
    const lastLogits = out.next_logits?.data as Float32Array;
    for (let b = 0; b < ids.length; b++) {
      for (let v = 0; v < V; v++) {
        const expected = fullLogits[(b * seq + p - 1) * V + v] as number;
        expect(Math.abs((lastLogits[b * V + v] as number) - expected)).toBeLessThan(1e-4);
      }
    }
    const cached: number[][] = ids.map((_, b) =>
      Array.from({ length: p }, (_, t) => (out.token_logprobs?.data as Float32Array)[b * p + t] as number),
    );
    for (let t = p; t < seq; t++) {
      const feeds: Record<string, Fed> = {
        input_ids: int64(columns(ids, t, t + 1)),
        attention_mask: int64(columns(mask, 0, t + 1)),
        targets: int64(columns(targets, t, t + 1)),
      };
      for (let i = 0; i < config.numLayers; i++) {
        feeds[`past.${i}.key`] = out[`present.${i}.key`] as Fed;
        feeds[`past.${i}.value`] = out[`present.${i}.value`] as Fed;
      }
      out = await decode.run(feeds);
      expect(out['present.0.key']?.dims).toEqual([ids.length, config.numKvHeads, t + 1, config.headDim]);
      ids.forEach((_, b) => cached[b]?.push((out.token_logprobs?.data as Float32Array)[b] as number));
    }
    for (const s of [scoring, prefill, decode]) await s.release();

    for (let b = 0; b < ids.length; b++) {
      for (let t = 0; t < seq - 1; t++) {
        if (mask[b]?.[t + 1] !== 1) continue;
        const expected = fullLogprobs[b * seq + t] as number;
        expect(Math.abs((cached[b]?.[t] as number) - expected), `row ${b} position ${t}`).toBeLessThan(1e-4);
      }
    }
  });
});

/**
 * Row 0 as in the reference; row 1's five real tokens moved to the right behind two pads, with
 * position_ids = cumsum(attention_mask) - 1 as transformers' generate computes them. RoPE only sees position
 * differences, so GPT-2's learned absolute positions are the case that fails without position_ids.
 */
function leftPadded(name: string): {
  ids: number[][];
  mask: number[][];
  positions: number[][];
  targets: number[][];
  expected: (number | undefined)[][];
} {
  const ref = readReference(name);
  const [row0, row1] = ref.input_ids as [number[], number[]];
  const ids = [row0, [0, 0, ...row1.slice(0, 5)]];
  const mask = [row0.map(() => 1), [0, 0, 1, 1, 1, 1, 1]];
  const positions = mask.map((row) => {
    let seen = 0;
    return row.map((m) => Math.max((seen += m) - 1, 0));
  });
  const targets = ids.map((row) => [...row.slice(1), 0]);
  const [ref0, ref1] = ref.next_token_logprobs as [number[], number[]];
  const expected = [ref0.slice(0, 6), [undefined, undefined, ...ref1.slice(0, 4)]];
  return { ids, mask, positions, targets, expected };
}

function expectLogprobs(actual: number[][], expected: (number | undefined)[][]): void {
  expected.forEach((row, b) =>
    row.forEach((want, t) => {
      if (want === undefined) return;
      expect(Math.abs((actual[b]?.[t] as number) - want), `row ${b} position ${t}`).toBeLessThan(1e-4);
    }),
  );
}

describe('left-padded batches with position_ids match the unpadded reference', () => {
  it.each(FIXTURE_NAMES)('%s: scoring graph', async (name) => {
    const { config, weights } = loadCheckpoint(join(FIXTURES, name));
    const { ids, mask, positions, targets, expected } = leftPadded(name);
    const session = await GraphSession.open(buildScoringGraph(config, weights, { positionIds: true }));
    const out = await session.run({
      input_ids: int64(ids),
      attention_mask: int64(mask),
      position_ids: int64(positions),
      targets: int64(targets),
    });
    await session.release();
    const data = out.token_logprobs?.data as Float32Array;
    expectLogprobs(
      ids.map((row, b) => row.map((_, t) => data[b * row.length + t] as number)),
      expected,
    );
  });

  // phi3-longrope is left out: row 1's first four positions stay below original_max_position_embeddings,
  // so its prefill uses the short factors while the reference's whole sequence uses the long ones; transformers
  // recomputes the cache at that crossing (Phi3ForCausalLM.prepare_inputs_for_generation), and the
  // decoder refuses to cross it (onnx-decoder.test.ts).
  it.each(FIXTURE_NAMES.filter((n) => n !== 'phi3-longrope'))(
    '%s: prefill 4 tokens, decode 3',
    async (name) => {
      const { config, weights } = loadCheckpoint(join(FIXTURES, name));
      const { ids, mask, positions, targets, expected } = leftPadded(name);
      const cols = (rows: number[][], start: number, end: number): Fed =>
        int64(rows.map((r) => r.slice(start, end)));
      const prefill = await GraphSession.open(
        buildCachedStepGraph(config, weights, { past: false, positionIds: true }),
      );
      const decode = await GraphSession.open(
        buildCachedStepGraph(config, weights, { past: true, positionIds: true }),
      );
      const step = (start: number, end: number): Record<string, Fed> => ({
        input_ids: cols(ids, start, end),
        attention_mask: cols(mask, 0, end),
        position_ids: cols(positions, start, end),
        targets: cols(targets, start, end),
      });
      let out = await prefill.run(step(0, 4));
      const first = out.token_logprobs?.data as Float32Array;
      const actual = ids.map((_, b) => Array.from(first.subarray(b * 4, b * 4 + 4)));
      for (let t = 4; t < 7; t++) {
        const feeds = step(t, t + 1);
        for (let i = 0; i < config.numLayers; i++) {
          feeds[`past.${i}.key`] = out[`present.${i}.key`] as Fed;
          feeds[`past.${i}.value`] = out[`present.${i}.value`] as Fed;
        }
        out = await decode.run(feeds);
        actual.forEach((row, b) => row.push((out.token_logprobs?.data as Float32Array)[b] as number));
      }
      await prefill.release();
      await decode.release();
      expectLogprobs(actual, expected);
    },
  );
});

describe('the decode graph with an empty cache is a prefill', () => {
  it.each(['llama', 'gpt2'] as const)('%s: same log-probs and cache as the prefill graph', async (name) => {
    const { config, weights } = loadCheckpoint(join(FIXTURES, name));
    const ids = readReference(name).input_ids;
    const feeds: Record<string, Fed> = {
      input_ids: int64(ids),
      attention_mask: int64(ids.map((row) => row.map(() => 1))),
      targets: int64(ids.map((row) => [...row.slice(1), 0])),
    };
    const prefill = await GraphSession.open(buildCachedStepGraph(config, weights, { past: false }));
    const expected = await prefill.run(feeds);
    const decode = await GraphSession.open(buildCachedStepGraph(config, weights, { past: true }));
    const empty: Fed = {
      dtype: 'float32',
      data: new Float32Array(0),
      dims: [2, config.numKvHeads, 0, config.headDim],
    };
    for (let i = 0; i < config.numLayers; i++) feeds[`past.${i}.key`] = feeds[`past.${i}.value`] = empty;
    const actual = await decode.run(feeds);
    await prefill.release();
    await decode.release();
    for (const output of ['token_logprobs', 'next_logits', `present.${config.numLayers - 1}.value`]) {
      expect(actual[output]?.dims).toEqual(expected[output]?.dims);
      expect(
        maxAbsDiff(actual[output]?.data as Float32Array, expected[output]?.data as Float32Array),
      ).toBeLessThan(1e-5);
    }
  });
});
