// KTO's data: TRL's unpaired rows and unpaired preference rows, and the KL dataset's +1 offset in chunks.
import { describe, expect, it } from 'vitest';
import { tokenizeKtoRow, withKlCompletions, type UnpairedExample } from './kto-data';

const ex = (completion: number, desirable = true): UnpairedExample => ({
  prompt: [1, completion],
  completion: [completion],
  desirable,
});

describe('KTO rows', () => {
  it('a KTO row gives one example; a preference row gives chosen desirable and rejected undesirable', () => {
    expect(tokenizeKtoRow({ prompt_ids: [1, 2], completion_ids: [3], label: false }, undefined, 'r')).toEqual(
      [{ prompt: [1, 2], completion: [3], desirable: false }],
    );
    const pair = { prompt_ids: [1], chosen_ids: [4, 5], rejected_ids: [6] };
    expect(tokenizeKtoRow(pair, undefined, 'r')).toEqual([
      { prompt: [1], completion: [4, 5], desirable: true },
      { prompt: [1], completion: [6], desirable: false },
    ]);
  });

  it('errors name the row and the field', () => {
    expect(() => tokenizeKtoRow({ prompt_ids: [1], completion_ids: [2] }, undefined, 'f.jsonl:3')).toThrow(
      /^f.jsonl:3: field label must be true/,
    );
    expect(() => tokenizeKtoRow({ prompt: 'q', label: true }, undefined, 'f.jsonl:4')).toThrow(
      /^f.jsonl:4: field completion is missing/,
    );
  });
});

describe('the KL dataset', () => {
  it("gives each example the previous example's completion within its chunk (TRL's +1 offset)", () => {
    const paired = withKlCompletions([ex(10), ex(11, false), ex(12), ex(13), ex(14)], 2);
    expect(paired.map((p) => [p.chosen[0], p.rejected[0], p.desirable])).toEqual([
      [10, 11, true],
      [11, 10, false],
      [12, 13, true],
      [13, 12, true],
      [14, 14, true], // a last chunk of one has nothing else to pair with (TRL's map does the same)
    ]);
    expect(paired[1]?.prompt).toEqual([1, 11]); // the prompt stays the example's own
  });

  it('refuses chunks of one: the KL row would be the example itself', () => {
    expect(() => withKlCompletions([ex(1), ex(2)], 1)).toThrow(/at least 2 examples per batch/);
  });
});
