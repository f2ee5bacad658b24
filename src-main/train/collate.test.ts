// Collation as TRL's DPO data path: exact `[chosen; rejected]` tensors for a small case, text rows with eos
// appended, conversational rows through the chat template, pre-tokenized rows untouched, keep_end truncation.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from '../models/index';
import { CHAT_WORDS_TOKENIZER_CONFIG, CHAT_WORDS_TOKENIZER_JSON } from '../models/tokenizer-test-support';
import { collatePairs, readPairs, tokenizeRow } from './collate';

const TOKENIZER = ModelTokenizer.fromSources({
  folder: '/fixture',
  tokenizerJson: CHAT_WORDS_TOKENIZER_JSON,
  tokenizerConfig: CHAT_WORDS_TOKENIZER_CONFIG,
});

describe('collatePairs', () => {
  it('right-pads [chosen; rejected], shifts targets and masks exactly the completion tokens', () => {
    const batch = collatePairs(
      [
        { prompt: [5, 6], chosen: [7, 2], rejected: [8] },
        { prompt: [9], chosen: [7], rejected: [8, 8, 2] },
      ],
      { padTokenId: 0 },
    );
    expect(batch.dims).toEqual([4, 4]);
    expect(batch.pairs).toBe(2);
    expect(Array.from(batch.inputIds, Number)).toEqual([5, 6, 7, 2, 9, 7, 0, 0, 5, 6, 8, 0, 9, 8, 8, 2]);
    expect(Array.from(batch.attentionMask, Number)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1]);
    expect(Array.from(batch.targets, Number)).toEqual([6, 7, 2, 0, 7, 0, 0, 0, 6, 8, 0, 0, 8, 8, 2, 0]);
    expect(Array.from(batch.completionMask)).toEqual([0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0]);
    expect(batch.completionTokens).toEqual([2, 1, 1, 3]);
    expect(batch.tokens).toBe(13);
  });

  it("truncates to maxLength keeping the end (TRL's keep_end): the prompt loses its first tokens", () => {
    const batch = collatePairs([{ prompt: [1, 2, 3, 4], chosen: [5, 6], rejected: [7, 8, 9, 10, 11] }], {
      maxLength: 4,
    });
    expect(Array.from(batch.inputIds, Number)).toEqual([3, 4, 5, 6, 8, 9, 10, 11]);
    expect(Array.from(batch.completionMask)).toEqual([0, 1, 1, 0, 1, 1, 1, 0]);
    expect(batch.completionTokens).toEqual([2, 3]); // a completion's first token has no context left
  });
});

describe('tokenizeRow', () => {
  it('uses pre-tokenized rows exactly as given (both TRL spellings), with no tokens added', () => {
    const ids = { prompt: [1, 5], chosen: [7], rejected: [8] };
    const classic = { prompt_input_ids: [1, 5], chosen_input_ids: [7], rejected_input_ids: [8] };
    expect(tokenizeRow(classic, undefined, 'f:1')).toEqual(ids);
    expect(tokenizeRow({ prompt_ids: [1, 5], chosen_ids: [7], rejected_ids: [8] }, undefined, 'f:1')).toEqual(
      ids,
    );
  });

  it('encodes text rows without special tokens and appends eos to each completion, as TRL', () => {
    const row = { prompt: 'what ?', chosen: 'yes', rejected: 'no no' };
    expect(tokenizeRow(row, TOKENIZER, 'f:1')).toEqual({
      prompt: [9, 10],
      chosen: [7, 2],
      rejected: [8, 8, 2],
    });
  });

  it('renders conversational rows with the chat template: prompt with the generation prompt', () => {
    const row = {
      prompt: [{ role: 'user', content: 'hi' }],
      chosen: [{ role: 'assistant', content: 'yes' }],
      rejected: [{ role: 'assistant', content: 'no' }],
    };
    expect(tokenizeRow(row, TOKENIZER, 'f:1')).toEqual({
      prompt: [3, 5, 4],
      chosen: [7, 2, 2],
      rejected: [8, 2, 2],
    });
  });

  it('names the file, line and field of a bad row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pairs-'));
    const file = join(dir, 'pairs.jsonl');
    writeFileSync(file, `${JSON.stringify({ prompt_ids: [1], chosen_ids: [2], rejected_ids: [] })}\n`);
    await expect(readPairs(file)).rejects.toThrow(`${file}:1: field rejected_ids is empty`);
    writeFileSync(file, `\n${JSON.stringify({ prompt: 'hi', chosen: 'yes' })}\n`);
    await expect(readPairs(file, TOKENIZER)).rejects.toThrow(`${file}:2: field rejected is missing`);
    writeFileSync(file, `${JSON.stringify({ prompt: 'hi', chosen: 'yes', rejected: 'no' })}\n`);
    await expect(readPairs(file)).rejects.toThrow(`${file}:1: a text row needs the model's tokenizer.json`);
  });
});
