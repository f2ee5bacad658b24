// The ONNX decoder under best-of-N on the committed fixtures. kv-cache.test.ts already shows the step graph
// equals the scoring graph for fixed batches; this checks what the decoder adds: one session for prefill and
// decode, forked prompt caches, batches of rows of different lengths from several prompts that shrink as
// candidates end, and the worker thread. Each candidate's summed log-prob must equal the scoring graph's.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, buildScoringGraph, type Checkpoint } from '../models/index';
import { FIXTURES, GraphSession, int64 } from '../models/test-support';
import { generateBestOfN, type BestOfNSampling, type PromptCandidates } from './best-of-n';
import type { DecoderModel } from './decoder-model';
import { OnnxDecoder, type OnnxCache } from './onnx-decoder';
import { argmax } from './sampling';

const PROMPTS = [
  { id: 'short', promptIds: [40, 15] },
  { id: 'long', promptIds: [72, 42, 41, 62, 92, 7, 19] },
  { id: 'middle', promptIds: [5, 63, 68, 44] },
];
const tokenizer = { decode: (ids: readonly number[]) => ids.join(' ') };
const sampling = (over: Partial<BestOfNSampling> = {}): BestOfNSampling => ({
  temperature: 1,
  topK: 0,
  topP: 1,
  maxNewTokens: 8,
  stopStrings: [],
  seed: 7,
  ...over,
});

/** Records the rows of every decode call, to show batches shrink and mix prompts. */
function spied(model: OnnxDecoder): { model: DecoderModel<OnnxCache>; batches: number[] } {
  const batches: number[] = [];
  return {
    batches,
    model: {
      prefill: (ids) => model.prefill(ids),
      fork: (cache, n) => model.fork(cache, n),
      decode: (caches, tokens) => (batches.push(caches.length), model.decode(caches, tokens)),
      release: (cache) => model.release(cache),
    },
  };
}

// The new families too; gemma3's window (3) is far shorter than the 7-token prompt plus 8 new tokens, so
// its sliding layers must mask the cache by position in every decode step, rows of different lengths mixed.
describe.each(['llama', 'gpt2', 'qwen3', 'gemma3', 'phi3', 'smollm3'] as const)(
  'OnnxDecoder on %s',
  (name) => {
    let checkpoint: Checkpoint;
    let decoder: OnnxDecoder;
    let scoring: GraphSession;
    // With several "eos" ids, candidates end at different steps and leave the batch.
    // Fewer for the random models of the new families, which would otherwise end every candidate early.
    const stride = name === 'llama' || name === 'gpt2' ? 6 : 8;
    const eosIds = Array.from({ length: 96 / stride }, (_, i) => stride * i + 3);

    beforeAll(async () => {
      checkpoint = loadCheckpoint(join(FIXTURES, name));
      decoder = await OnnxDecoder.open(checkpoint, { device: 'cpu', intraOpThreads: 1 });
      scoring = await GraphSession.open(buildScoringGraph(checkpoint.config, checkpoint.weights));
    });
    afterAll(async () => {
      await decoder.close();
      await scoring.release();
    });

    const generate = (model: DecoderModel<OnnxCache>, s: BestOfNSampling, promptsPerBatch: number) =>
      generateBestOfN({ model, tokenizer, prompts: PROMPTS, n: 3, sampling: s, eosIds, promptsPerBatch });

    /** Full-sequence logits (T, V) and next-token log-probs (T) of one sequence under the scoring graph. */
    async function score(ids: number[]): Promise<{ logits: Float32Array; logprobs: Float32Array }> {
      const out = await scoring.run({
        input_ids: int64([ids]),
        attention_mask: int64([ids.map(() => 1)]),
        targets: int64([[...ids.slice(1), 0]]),
      });
      return { logits: out.logits?.data as Float32Array, logprobs: out.token_logprobs?.data as Float32Array };
    }

    it('sums per-token log-probs equal to the scoring graph, with mixed prompts in shrinking batches', async () => {
      const { model, batches } = spied(decoder);
      const results = await generate(model, sampling(), 3);
      expect(Math.max(...batches), 'rows of several prompts share a decode call').toBeGreaterThan(3);
      expect(new Set(batches).size, `decode batch sizes ${batches.join(',')}`).toBeGreaterThan(2);
      const reasons = results.flatMap((r) => r.candidates.map((c) => c.finishReason));
      expect(reasons).toContain('eos');
      expect(reasons).toContain('length');
      for (const [p, result] of results.entries()) {
        const prompt = (PROMPTS[p] as (typeof PROMPTS)[number]).promptIds;
        for (const c of result.candidates) {
          const { logprobs } = await score([...prompt, ...c.tokenIds]);
          const expected = c.tokenIds.reduce(
            (sum, _, t) => sum + (logprobs[prompt.length - 1 + t] as number),
            0,
          );
          expect(Math.abs(c.logp - expected), `${result.promptId}#${c.candidate}`).toBeLessThan(1e-4);
        }
      }
    });

    it('with top-k 1 picks the argmax of the scoring graph logits at every step', async () => {
      const results = await generate(decoder, sampling({ topK: 1, maxNewTokens: 6 }), 3);
      const V = checkpoint.config.vocabSize;
      for (const [p, result] of results.entries()) {
        const prompt = (PROMPTS[p] as (typeof PROMPTS)[number]).promptIds;
        const [first, ...others] = result.candidates;
        for (const other of others) expect(other.tokenIds).toEqual(first?.tokenIds);
        const ids = first?.tokenIds ?? [];
        const { logits } = await score([...prompt, ...ids]);
        const greedy = ids.map((_, t) => {
          const at = prompt.length - 1 + t;
          return argmax(logits.subarray(at * V, (at + 1) * V));
        });
        expect(ids).toEqual(greedy);
      }
    });

    it('gives the same candidates for the same seed, whether prompts are batched together or one at a time', async () => {
      const tokens = (results: PromptCandidates[]) => results.map((r) => r.candidates.map((c) => c.tokenIds));
      const together = await generate(decoder, sampling({ topK: 20, topP: 0.9 }), 3);
      const alone = await generate(decoder, sampling({ topK: 20, topP: 0.9 }), 1);
      const again = await generate(decoder, sampling({ topK: 20, topP: 0.9 }), 2);
      const reseeded = await generate(decoder, sampling({ topK: 20, topP: 0.9, seed: 8 }), 3);
      expect(tokens(alone)).toEqual(tokens(together));
      expect(tokens(again)).toEqual(tokens(together));
      expect(tokens(reseeded)).not.toEqual(tokens(together));
      together.forEach((r, p) =>
        r.candidates.forEach((c, i) =>
          expect(Math.abs(c.logp - (alone[p]?.candidates[i]?.logp as number))).toBeLessThan(1e-4),
        ),
      );
    });
  },
);

describe('OnnxDecoder errors', () => {
  it('names the position limit of a learned position table and a token outside the vocabulary', async () => {
    const decoder = await OnnxDecoder.open(loadCheckpoint(join(FIXTURES, 'gpt2')), { device: 'cpu' });
    try {
      await expect(decoder.prefill(Array(33).fill(1))).rejects.toThrow(
        "the sequence reached position 32, past the model's 32 positions",
      );
      await expect(decoder.prefill([1, 96])).rejects.toThrow('token id 96 is outside the vocabulary of 96');
      const { cache } = await decoder.prefill([1, 2]);
      decoder.release(cache);
      await expect(decoder.decode([cache], [4])).rejects.toThrow('used after it was released');
    } finally {
      await decoder.close();
    }
  });

  it("reopens from onnxruntime's saved optimized model with the same logits", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'decoder-cache-'));
    const before = process.env.DPO_WORKBENCH_SESSION_CACHE;
    process.env.DPO_WORKBENCH_SESSION_CACHE = dir;
    try {
      const logits: Float32Array[] = [];
      for (const _ of ['saves', 'reopens']) {
        const decoder = await OnnxDecoder.open(loadCheckpoint(join(FIXTURES, 'llama')), { device: 'cpu' });
        try {
          const { logits: first, cache } = await decoder.prefill([5, 6, 7]);
          logits.push(first, ...(await decoder.decode([cache], [9])));
        } finally {
          await decoder.close();
        }
        expect(readdirSync(dir).filter((f) => f.endsWith('.onnx'))).toHaveLength(1);
      }
      expect(logits[2]).toEqual(logits[0]);
      expect(logits[3]).toEqual(logits[1]);
    } finally {
      process.env.DPO_WORKBENCH_SESSION_CACHE = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops before longrope switches factors (original_max_position_embeddings)', async () => {
    const decoder = await OnnxDecoder.open(loadCheckpoint(join(FIXTURES, 'phi3-longrope')), {
      device: 'cpu',
    });
    try {
      const { cache } = await decoder.prefill([5, 6, 7, 8]); // positions 0..3, short factors
      await expect(decoder.decode([cache], [9])).rejects.toThrow(
        'the sequence reached position 4; sampling stops before original_max_position_embeddings (4)',
      );
    } finally {
      await decoder.close();
    }
  });
});
