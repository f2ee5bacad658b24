// The Generate view's helpers: defaults from generation_config.json, pasted prompts, stop strings, scores.
import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../src-shared/api-models';
import {
  candidateMeta,
  logpWords,
  parsePastedPrompts,
  parseStopStrings,
  samplingDefaults,
} from './generation-settings';

const tiny = {
  generationDefaults: { temperature: 0.7, topP: null, topK: 0, maxNewTokens: 32 },
  thinkingOff: false,
} as unknown as ModelVersion;

describe('samplingDefaults', () => {
  it("takes the checkpoint's values and transformers' defaults for the rest", () => {
    expect(samplingDefaults(tiny)).toEqual({
      n: 4,
      seed: 0,
      stopStrings: '',
      temperature: 0.7,
      topP: 1,
      topK: 0,
      maxNewTokens: 32,
    });
    expect(samplingDefaults(undefined).topK).toBe(50);
  });

  it("keeps the person's N, seed and stop strings when the model changes", () => {
    const previous = { ...samplingDefaults(tiny), n: 8, seed: 42, stopStrings: '###' };
    expect(samplingDefaults(undefined, previous)).toMatchObject({
      n: 8,
      seed: 42,
      stopStrings: '###',
      topK: 50,
    });
  });
});

describe('parsePastedPrompts', () => {
  it('reads one prompt per line, trimmed, without blanks or repeats', () => {
    expect(parsePastedPrompts(' What is 2+2?\r\n\nCapital of France?\nWhat is 2+2?\n')).toEqual([
      'What is 2+2?',
      'Capital of France?',
    ]);
  });
});

describe('parseStopStrings', () => {
  it('turns typed \\n and \\t into the characters', () => {
    expect(parseStopStrings('\\n\\nUser:\n###\n')).toEqual(['\n\nUser:', '###']);
  });
});

describe('candidateMeta', () => {
  it('reads score, length, finish reason and seed on one line', () => {
    expect(candidateMeta({ logp: -4, tokenCount: 2, finishReason: 'eos', seed: 9 })).toBe(
      'log-prob -4.00 (-2.00/token) · 2 tokens · ended by eos · seed 9',
    );
    expect(candidateMeta({ logp: null, tokenCount: null, finishReason: null, seed: null })).toBe(
      'no log-prob · ? tokens · ended by import',
    );
  });
});

describe('logpWords', () => {
  it('shows the sum and the mean per token', () => {
    expect(logpWords(-12.345, 10)).toBe('log-prob -12.35 (-1.23/token)');
    expect(logpWords(-3, 0)).toBe('log-prob -3.00');
    expect(logpWords(null, 4)).toBe('no log-prob');
  });
});
