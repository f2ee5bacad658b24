// runGeneration on a fixture checkpoint with a tokenizer: defaults from generation_config.json, text and
// chat prompts, streaming, progress, stop strings, batching that changes nothing, cancellation, bad requests.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { loadGenerator, type LoadedGenerator } from '../../generate/index';
import { runGeneration, type GenerationRequest } from './generate-job';

const modelDir = writeCheckpointFixture();
let generator: LoadedGenerator;
beforeAll(async () => {
  generator = await loadGenerator({ modelDir, device: 'cpu' });
});
afterAll(async () => {
  await generator.close();
  rmSync(modelDir, { recursive: true, force: true });
});

const request = (over: Partial<GenerationRequest> = {}): GenerationRequest => ({
  modelDir,
  device: 'cpu',
  prompts: [
    { id: 'capital', text: 'What is the capital of France?' },
    { id: 'chat', messages: [{ role: 'user', content: 'Say hi.' }] },
  ],
  n: 3,
  maxNewTokens: 6,
  seed: 11,
  ...over,
});

describe('runGeneration', () => {
  it('samples n candidates per prompt with generation_config.json defaults, streaming text and progress', async () => {
    const streamed = new Map<string, string>();
    const progress: { promptsDone: number; tokens: number }[] = [];
    const result = await runGeneration(request(), {
      generator,
      onToken: (e) => streamed.set(`${e.promptId}#${e.candidate}`, e.textSoFar),
      onProgress: (p) => progress.push(p),
    });
    expect(result.device).toBe('cpu');
    expect(result.candidates.map((c) => `${c.promptId}#${c.index}`)).toEqual([
      'capital#0',
      'capital#1',
      'capital#2',
      'chat#0',
      'chat#1',
      'chat#2',
    ]);
    expect(result.tokens).toBe(result.candidates.reduce((sum, c) => sum + c.tokenCount, 0));
    for (const c of result.candidates) {
      expect(c.sampling).toEqual({
        temperature: 0.8,
        topK: 20,
        topP: 0.95,
        maxNewTokens: 6,
        stopStrings: [],
        runSeed: 11,
      });
      expect(c.tokenCount).toBe(c.tokenIds.length);
      const body = c.finishReason === 'eos' ? c.tokenIds.slice(0, -1) : c.tokenIds;
      expect(c.text).toBe(generator.tokenizer.decode(body));
      expect(streamed.get(`${c.promptId}#${c.index}`)).toBe(c.text);
      expect(c.logp).toBeLessThan(0);
    }
    expect(progress.at(-1)).toMatchObject({ promptsDone: 2, promptsTotal: 2, tokens: result.tokens });
  });

  it('gives the same candidates batched and unbatched; another seed differs', async () => {
    const texts = (r: Awaited<ReturnType<typeof runGeneration>>) => r.candidates.map((c) => c.tokenIds);
    const alone = await runGeneration(request({ temperature: 1.2 }), { generator });
    const batched = await runGeneration(request({ temperature: 1.2, promptsPerBatch: 2 }), { generator });
    const other = await runGeneration(request({ temperature: 1.2, seed: 12 }), { generator });
    expect(texts(batched)).toEqual(texts(alone));
    expect(texts(other)).not.toEqual(texts(alone));
  });

  it('applies the chat template to a text prompt as a user turn', () => {
    const text = generator.tokenizer.encodeChat('Hi.');
    const chat = generator.tokenizer.encodeChat([{ role: 'user', content: 'Hi.' }]);
    expect(text).toEqual(chat);
    expect(generator.tokenizer.model.decode(chat)).toBe('<s><|user|>Hi.\n<|assistant|>');
    // Candidate text leaves special tokens out, as transformers' pipeline and vLLM show it.
    expect(generator.tokenizer.decode(chat)).toBe('Hi.\n');
  });

  it('cuts a candidate before a stop string', async () => {
    const free = await runGeneration(request({ temperature: 1.5, maxNewTokens: 12 }), { generator });
    const letter = free.candidates.find((c) => c.text.length > 3)?.text[2] as string;
    const result = await runGeneration(
      request({ temperature: 1.5, maxNewTokens: 12, stopStrings: [letter] }),
      {
        generator,
      },
    );
    const stopped = result.candidates.filter((c) => c.finishReason === 'stop');
    expect(stopped.length).toBeGreaterThan(0);
    for (const c of result.candidates) expect(c.text).not.toContain(letter);
  });

  it('stops when aborted and returns the unfinished candidates as cancelled', async () => {
    const controller = new AbortController();
    const result = await runGeneration(request({ maxNewTokens: 20 }), {
      generator,
      signal: controller.signal,
      onToken: () => controller.abort(),
    });
    expect(result.candidates.filter((c) => c.finishReason === 'cancelled').length).toBeGreaterThan(0);
    expect(Math.max(...result.candidates.map((c) => c.tokenCount))).toBeLessThanOrEqual(1);
  });

  it('refuses bad requests with the prompt and the field', async () => {
    await expect(
      runGeneration(
        request({
          prompts: [
            { id: 'a', text: 'x' },
            { id: 'a', text: 'y' },
          ],
        }),
        { generator },
      ),
    ).rejects.toThrow('prompt 2: id "a" is used twice');
    await expect(
      runGeneration(request({ prompts: [{ id: 'empty', text: '' }] }), { generator }),
    ).rejects.toThrow('prompt 1 ("empty") has neither text nor messages');
    await expect(runGeneration(request({ n: 0 }), { generator })).rejects.toThrow(
      'n must be an integer >= 1',
    );
    await expect(runGeneration(request({ topP: 0 }), { generator })).rejects.toThrow(
      'topP must be in (0, 1]',
    );
  });

  it('loads the model itself when given none, and names the prompt that does not fit a learned position table', async () => {
    const gpt2 = writeCheckpointFixture({ fixture: 'gpt2' });
    try {
      await expect(runGeneration(request({ modelDir: gpt2, maxNewTokens: 30 }))).rejects.toThrow(
        /prompt 1 \("capital"\) has \d+ tokens; with 30 new tokens that is past the model's 32 positions/,
      );
    } finally {
      rmSync(gpt2, { recursive: true, force: true });
    }
  });
});
