import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { bytesToUnicode, tokenizerJson, trainByteLevelBpe } from './byte-level-bpe';
import { TINY_SPECIAL_TOKENS } from './chat-template';
import { buildTinyCorpus } from './corpus';

const SPECIAL = [...TINY_SPECIAL_TOKENS];

describe('byte-level BPE', () => {
  it("maps the 256 bytes to 256 distinct printable characters, as GPT-2's table does", () => {
    const table = bytesToUnicode();
    expect(new Set(table).size).toBe(256);
    expect(table[32]).toBe('Ġ');
    expect(table[10]).toBe('Ċ');
    expect(table[65]).toBe('A');
  });

  const texts = buildTinyCorpus().train.flatMap((fact) => [fact.question, fact.answer]);
  const bpe = trainByteLevelBpe(texts, 800, SPECIAL);
  const tokenizer = new Tokenizer(tokenizerJson(bpe, SPECIAL), {});

  it('learns merges up to the vocabulary size, deterministically', () => {
    expect(bpe.vocab.size).toBe(800);
    expect(bpe.merges).toHaveLength(800 - 256 - SPECIAL.length);
    expect(trainByteLevelBpe(texts.slice(0, 200), 400, SPECIAL)).toEqual(
      trainByteLevelBpe(texts.slice(0, 200), 400, SPECIAL),
    );
  });

  it('is read by @huggingface/tokenizers and round-trips every corpus line and unseen text', () => {
    for (const text of [...texts.slice(0, 300), 'Zürich — naïve café, 12 × 12 = 144?\n  ok']) {
      const { ids } = tokenizer.encode(text, { add_special_tokens: false });
      expect(tokenizer.decode(ids)).toBe(text);
    }
    const capital = tokenizer.encode('The capital of France is Paris.', { add_special_tokens: false });
    expect(capital.ids.length).toBeLessThan(12);
  });

  it('keeps each special token whole', () => {
    const { ids } = tokenizer.encode('<|im_start|>user\nHi<|im_end|>', { add_special_tokens: false });
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
  });
});
