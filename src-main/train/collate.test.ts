// Collation as TRL's DPO data path: exact `[chosen; rejected]` tensors for a small case, text rows with eos
// appended, conversational rows through the chat template, pre-tokenized rows untouched, keep_start truncation
// checked against TRL's own rule on the padded batch.
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

  it("truncates to maxLength keeping the start (TRL's keep_start): the completion loses its end", () => {
    const batch = collatePairs([{ prompt: [1, 2, 3], chosen: [5, 6], rejected: [7, 8, 9, 10, 11] }], {
      maxLength: 4,
    });
    expect(Array.from(batch.inputIds, Number)).toEqual([1, 2, 3, 5, 1, 2, 3, 7]);
    expect(Array.from(batch.completionMask)).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
    expect(batch.completionTokens).toEqual([1, 1]);
    const long = collatePairs([{ prompt: [1, 2, 3, 4, 5], chosen: [6], rejected: [7] }], { maxLength: 4 });
    expect(Array.from(long.inputIds, Number)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(long.completionTokens).toEqual([0, 0]); // nothing of the completion is left, as in TRL
  });

  it("keeps the same tokens as TRL 1.13's DPOTrainer on over-long rows (its padded-batch rule, keep_start)", () => {
    const pairs = [
      { prompt: [1, 2, 3, 4, 5, 6], chosen: [7, 8, 2], rejected: [9, 2] }, // prompt fits, completion cut
      { prompt: [1, 2], chosen: [10, 11, 12, 13, 14, 15, 2], rejected: [16, 2] }, // long completion
      { prompt: [1, 2, 3, 4, 5, 6, 7, 8, 9], chosen: [17, 2], rejected: [18, 2] }, // prompt alone too long
      { prompt: [1], chosen: [19, 2], rejected: [20, 21, 2] }, // fits
    ];
    const maxLength = 7;
    const batch = collatePairs(pairs, { maxLength, padTokenId: 0 });
    const [rows, width] = batch.dims;
    const trl = trlKeepStart(pairs, maxLength);
    for (let r = 0; r < rows; r++) {
      const ids = Array.from(batch.inputIds.slice(r * width, (r + 1) * width), Number);
      const mask = Array.from(batch.attentionMask.slice(r * width, (r + 1) * width), Number);
      const real = ids.filter((_, t) => mask[t] === 1);
      expect(real, `row ${r}`).toEqual(trl[r]?.ids);
      // TRL's loss mask shifted by one (position t-1 predicts token t) is our completion mask.
      const completion = Array.from(batch.completionMask.slice(r * width, r * width + real.length));
      expect(completion, `row ${r}`).toEqual([...(trl[r]?.lossMask.slice(1) ?? []), 0]);
    }
  });
});

/**
 * TRL's DPOTrainer rule written as it does it on tensors: prompts left-padded and completions right-padded
 * to the batch, concatenated [chosen; rejected], flush_left (each row's tokens moved to the start), then
 * input_ids[:, :max_length] and loss_mask[:, :max_length]. Returns each row's real tokens and loss mask.
 */
function trlKeepStart(
  pairs: { prompt: number[]; chosen: number[]; rejected: number[] }[],
  maxLength: number,
): { ids: number[]; lossMask: number[] }[] {
  const PAD = -1;
  const promptWidth = Math.max(...pairs.map((p) => p.prompt.length));
  const completions = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
  const completionWidth = Math.max(...completions.map((c) => c.length));
  return completions.map((completion, r) => {
    const prompt = (pairs[r % pairs.length] as { prompt: number[] }).prompt;
    const left = Array<number>(promptWidth - prompt.length).fill(PAD);
    const right = Array<number>(completionWidth - completion.length).fill(PAD);
    const row = [...left, ...prompt, ...completion, ...right];
    const loss = [
      ...left.map(() => 0),
      ...prompt.map(() => 0),
      ...completion.map(() => 1),
      ...right.map(() => 0),
    ];
    const keep = row.map((id) => id !== PAD);
    const flushed = row.filter((_, t) => keep[t]); // flush_left
    const flushedLoss = loss.filter((_, t) => keep[t]);
    return { ids: flushed.slice(0, maxLength), lossMask: flushedLoss.slice(0, maxLength) };
  });
}

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
