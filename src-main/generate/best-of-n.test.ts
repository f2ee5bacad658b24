// Best-of-N against a fake bigram model: reproducibility, greedy, stop/eos/length, one prefill per prompt,
// shrinking decode batches, cancellation, streaming order, and each candidate's logp recomputed by hand.
import { describe, expect, it } from 'vitest';
import {
  generateBestOfN,
  type BestOfNOptions,
  type BestOfNSampling,
  type PromptInput,
  type TokenEvent,
} from './best-of-n';
import { deriveCandidateSeed } from './prng';
import {
  A,
  B,
  BANG,
  C,
  EOS,
  FakeBigramModel,
  NEWLINE,
  SPACE,
  bigramRow,
  fakeTokenizer,
  plainLogSoftmax,
  type FakeCache,
} from './test-support';

const SAMPLING: BestOfNSampling = {
  temperature: 1,
  topK: 0,
  topP: 1,
  maxNewTokens: 12,
  stopStrings: [],
  seed: 17,
};
const PROMPTS = [
  { id: 'p0', promptIds: [C, A] },
  { id: 'p1', promptIds: [B, SPACE] },
  { id: 'p2', promptIds: [NEWLINE] },
];

function options(overrides: Partial<BestOfNOptions<FakeCache>> = {}): BestOfNOptions<FakeCache> {
  return {
    model: new FakeBigramModel(),
    tokenizer: fakeTokenizer,
    prompts: PROMPTS,
    n: 4,
    sampling: SAMPLING,
    eosIds: [EOS],
    ...overrides,
  };
}

/** Greedy decoding written out directly on the bigram table. */
function greedy(last: number, maxNewTokens: number): number[] {
  const out: number[] = [];
  let previous = last;
  while (out.length < maxNewTokens && previous !== EOS) {
    const row = bigramRow(previous);
    previous = row.indexOf(Math.max(...row));
    out.push(previous);
  }
  return out;
}

describe('generateBestOfN', () => {
  it('the same seed gives identical candidates; another seed gives others', async () => {
    const first = await generateBestOfN(options());
    const again = await generateBestOfN(options());
    expect(again).toEqual(first);
    const other = await generateBestOfN(options({ sampling: { ...SAMPLING, seed: 18 } }));
    const tokens = (r: typeof first) => r.flatMap((p) => p.candidates.map((c) => c.tokenIds.join(',')));
    expect(tokens(other)).not.toEqual(tokens(first));
    expect(new Set(tokens(first)).size).toBeGreaterThan(6);
  });

  it('seed 17 still gives the candidates recorded for this version (stored seeds stay reproducible)', async () => {
    const result = await generateBestOfN(options({ prompts: [PROMPTS[0] as PromptInput], n: 3 }));
    expect(result[0]?.candidates.map((c) => [c.tokenIds, c.text, c.finishReason, c.seed])).toEqual([
      [[3, 3, 2, 6, 7, 0], 'ccbab!', 'eos', 902975594],
      [[4, 4, 1, 7, 6, 3, 5, 7, 0], '  a!abc\n!', 'eos', 2795058470],
      [[2, 6, 6, 7, 0], 'babab!', 'eos', 2872689934],
    ]);
    expect(result[0]?.candidates[0]?.logp).toBeCloseTo(-12.5328206166, 8);
  });

  it('results do not depend on N or on how prompts are batched together', async () => {
    const base = await generateBestOfN(options());
    const wider = await generateBestOfN(options({ n: 7, promptsPerBatch: 3 }));
    const twoAtATime = await generateBestOfN(options({ promptsPerBatch: 2 }));
    expect(wider.map((p) => p.candidates.slice(0, 4))).toEqual(base.map((p) => p.candidates));
    expect(twoAtATime).toEqual(base);
  });

  it('stores each candidate seed as derived from the run seed, prompt index and candidate index', async () => {
    const result = await generateBestOfN(options());
    result.forEach((p, promptIndex) =>
      p.candidates.forEach((c, candidate) => {
        expect(c.seed).toBe(deriveCandidateSeed(17, promptIndex, candidate));
        expect(c.sampling).toEqual(SAMPLING);
      }),
    );
  });

  it('top_k = 1 equals greedy decoding, eos included and reported', async () => {
    const sampling = { ...SAMPLING, topK: 1, temperature: 0.8 };
    const result = await generateBestOfN(options({ sampling, n: 3 }));
    expect(greedy(A, 12)).toEqual([B, C, BANG, EOS]);
    for (const c of result[0]?.candidates ?? []) {
      expect(c.tokenIds).toEqual([B, C, BANG, EOS]);
      expect(c.text).toBe('bc!');
      expect(c.finishReason).toBe('eos');
    }
    const fromSpace = greedy(SPACE, 12);
    expect(result[1]?.candidates[0]?.tokenIds).toEqual(fromSpace);
  });

  it('max new tokens ends with length', async () => {
    const result = await generateBestOfN(options({ sampling: { ...SAMPLING, topK: 1, maxNewTokens: 2 } }));
    const c = result[0]?.candidates[0];
    expect(c?.tokenIds).toEqual([B, C]);
    expect(c?.text).toBe('bc');
    expect(c?.finishReason).toBe('length');
  });

  it('a stop string spanning two tokens cuts the text before it and keeps the tokens', async () => {
    const sampling = { ...SAMPLING, temperature: 0, stopStrings: ['c!'] };
    const c = (await generateBestOfN(options({ sampling, n: 1 })))[0]?.candidates[0];
    expect(c).toMatchObject({ text: 'b', tokenIds: [B, C, BANG], finishReason: 'stop', stopString: 'c!' });
  });

  it('sampled stop strings are cut at their first occurrence, completed by the last token', async () => {
    const sampling = { ...SAMPLING, maxNewTokens: 30, stopStrings: ['\n', 'ca'] };
    const result = await generateBestOfN(options({ sampling, n: 16 }));
    const stopped = result.flatMap((p) => p.candidates).filter((c) => c.finishReason === 'stop');
    expect(stopped.length).toBeGreaterThan(5);
    for (const c of stopped) {
      const full = fakeTokenizer.decode(c.tokenIds);
      const before = fakeTokenizer.decode(c.tokenIds.slice(0, -1));
      expect(full.startsWith(c.text + c.stopString)).toBe(true);
      expect(['\n', 'ca'].some((s) => c.text.includes(s) || before.includes(s))).toBe(false);
    }
  });

  it('logp is the sum of log_softmax(logits)[token] over the generated tokens', async () => {
    const result = await generateBestOfN(options({ sampling: { ...SAMPLING, topP: 0.8, topK: 5 } }));
    result.forEach((p, i) =>
      p.candidates.forEach((c) => {
        let previous = PROMPTS[i]?.promptIds.at(-1) as number;
        let expected = 0;
        for (const token of c.tokenIds) {
          expected += plainLogSoftmax(bigramRow(previous), token);
          previous = token;
        }
        expect(c.logp).toBeCloseTo(expected, 5);
      }),
    );
  });

  it('prefills each prompt exactly once and forks its cache for the candidates still going', async () => {
    const model = new FakeBigramModel();
    await generateBestOfN(options({ model, n: 5 }));
    expect(model.prefillCalls).toEqual(PROMPTS.map((p) => p.promptIds));
    expect(model.forkSizes.every((n) => n <= 5)).toBe(true);
    expect(model.liveCaches).toBe(0);
  });

  it('finished candidates leave the decode batch', async () => {
    const model = new FakeBigramModel();
    const sampling = { ...SAMPLING, maxNewTokens: 20 };
    const result = await generateBestOfN(options({ model, sampling, prompts: [PROMPTS[0]!], n: 6 }));
    const lengths = result[0]?.candidates.map((c) => c.tokenIds.length) ?? [];
    const steps = Math.max(...lengths) - 1;
    const expected = Array.from({ length: steps }, (_, s) => lengths.filter((n) => n >= s + 2).length);
    expect(model.decodeBatchSizes).toEqual(expected);
    expect(new Set(model.decodeBatchSizes).size).toBeGreaterThan(1);
    expect(model.forkSizes).toEqual([lengths.filter((n) => n >= 2).length]);
  });

  it('batches the live candidates of several prompts into one decode call', async () => {
    const model = new FakeBigramModel();
    await generateBestOfN(options({ model, n: 2, promptsPerBatch: 3, sampling: { ...SAMPLING, topK: 1 } }));
    // Greedy: p0 reads b c ! <eos> (4 tokens, 3 decodes); p1 and p2 read a b c ! <eos> (5 tokens, 4 decodes).
    expect(model.decodeBatchSizes).toEqual([6, 6, 6, 4]);
  });

  it('an abort stops within one step and marks unfinished candidates cancelled', async () => {
    const controller = new AbortController();
    const model = new FakeBigramModel((calls) => calls === 2 && controller.abort());
    const sampling = { ...SAMPLING, maxNewTokens: 50 };
    const result = await generateBestOfN(options({ model, sampling, signal: controller.signal }));
    expect(model.decodeBatchSizes).toHaveLength(2);
    expect(model.prefillCalls).toHaveLength(1);
    expect(model.liveCaches).toBe(0);
    for (const c of result[0]?.candidates ?? []) {
      if (c.finishReason === 'cancelled') expect(c.tokenIds).toHaveLength(3);
      else expect(c.tokenIds.length).toBeLessThanOrEqual(3);
    }
    expect(result[0]?.candidates.some((c) => c.finishReason === 'cancelled')).toBe(true);
    for (const p of result.slice(1)) {
      expect(p.candidates.map((c) => [c.finishReason, c.tokenIds.length, c.text])).toEqual(
        Array(4).fill(['cancelled', 0, '']),
      );
    }
  });

  it('an already aborted signal runs nothing and returns every candidate cancelled', async () => {
    const model = new FakeBigramModel();
    const result = await generateBestOfN(options({ model, signal: AbortSignal.abort() }));
    expect(model.prefillCalls).toHaveLength(0);
    expect(result.flatMap((p) => p.candidates.map((c) => c.finishReason))).toEqual(
      Array(12).fill('cancelled'),
    );
  });

  it('streams every token in step order, candidates in order within a step', async () => {
    const events: TokenEvent[] = [];
    const sampling = { ...SAMPLING, stopStrings: ['\n'] };
    const result = await generateBestOfN(options({ n: 3, sampling, onToken: (e) => events.push(e) }));
    const expectedOrder: string[] = [];
    result.forEach((p) => {
      const lengths = p.candidates.map((c) => c.tokenIds.length);
      for (let s = 0; s < Math.max(...lengths); s++) {
        lengths.forEach((n, c) => n > s && expectedOrder.push(`${p.promptId}/${c}`));
      }
    });
    expect(events.map((e) => `${e.promptId}/${e.candidate}`)).toEqual(expectedOrder);
    for (const p of result) {
      for (const c of p.candidates) {
        const mine = events.filter((e) => e.promptId === p.promptId && e.candidate === c.candidate);
        expect(mine.map((e) => e.tokenId)).toEqual(c.tokenIds);
        expect(mine.map((e) => e.finishReason)).toEqual([
          ...Array(mine.length - 1).fill(null),
          c.finishReason,
        ]);
        mine
          .slice(1)
          .forEach((e, i) => expect(e.textSoFar.startsWith((mine[i] as TokenEvent).textSoFar)).toBe(true));
        expect(mine.at(-1)?.textSoFar).toBe(c.text);
      }
    }
  });

  it('rejects bad arguments before touching the model', async () => {
    const model = new FakeBigramModel();
    await expect(generateBestOfN(options({ model, n: 0 }))).rejects.toThrow(/n must be an integer >= 1/);
    await expect(
      generateBestOfN(options({ model, prompts: [{ id: 'empty', promptIds: [] }] })),
    ).rejects.toThrow(/prompt "empty" has no tokens/);
    await expect(
      generateBestOfN(options({ model, sampling: { ...SAMPLING, maxNewTokens: 0 } })),
    ).rejects.toThrow(/maxNewTokens/);
    expect(model.prefillCalls).toHaveLength(0);
  });
});
