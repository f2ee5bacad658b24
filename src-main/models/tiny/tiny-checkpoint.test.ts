import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, readModelConfig } from '../load-checkpoint';
import { ModelTokenizer } from '../tokenizer';
import { buildTinyCorpus } from './corpus';
import { chatRow, TINY_SHAPE, TINY_TOKEN_IDS, tinyConfigJson, tinyModelConfig } from './tiny-checkpoint';

const FOLDER = join(import.meta.dirname, '..', '..', '..', 'resources', 'tiny-model');

describe('the committed tiny model (resources/tiny-model)', () => {
  const config = readModelConfig(FOLDER);
  const tokenizer = ModelTokenizer.load(FOLDER, {
    vocabSize: config.vocabSize,
    eosTokenIds: config.eosTokenIds,
  });

  it('is a small Llama checkpoint of at most 20 MB in the shape the build declares', () => {
    expect(config.architecture).toBe('LlamaForCausalLM');
    expect(config).toEqual(tinyModelConfig(TINY_SHAPE));
    expect(config.numKvHeads).toBeLessThan(config.numHeads);
    const bytes = readdirSync(FOLDER).reduce((n, f) => n + statSync(join(FOLDER, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(20 * 1024 * 1024);
    const { weights } = loadCheckpoint(FOLDER);
    const parameters = [...weights.values()].reduce((n, t) => n + t.data.length, 0);
    expect(parameters).toBeGreaterThan(1_000_000);
    expect(parameters).toBeLessThan(5_000_000);
    for (const t of weights.values()) expect(t.data.every(Number.isFinite)).toBe(true);
  });

  it('has its own tokenizer, ChatML template and <|im_end|> as eos', () => {
    expect(tokenizer.vocabSize).toBe(config.vocabSize);
    expect(tokenizer.eosTokenIds).toEqual([TINY_TOKEN_IDS.imEnd]);
    expect(config.eosTokenIds).toEqual([tinyConfigJson(TINY_SHAPE).eos_token_id]);
    expect(tokenizer.generation.temperature).toBe(1);
    expect(
      tokenizer.applyChatTemplate([{ role: 'user', content: 'What is 2 plus 3?' }], {
        addGenerationPrompt: true,
      }),
    ).toBe('<|im_start|>user\nWhat is 2 plus 3?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('encodes a training row as the prompt followed by the answer and <|im_end|>', () => {
    const fact = buildTinyCorpus().train[0]!;
    const row = chatRow(tokenizer, fact);
    expect(tokenizer.decode(row.ids.slice(0, row.promptLength))).toBe(
      `<|im_start|>user\n${fact.question}<|im_end|>\n<|im_start|>assistant\n`,
    );
    expect(tokenizer.decode(row.ids.slice(row.promptLength))).toBe(`${fact.answer}<|im_end|>`);
  });
});
