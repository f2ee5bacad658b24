// Tokenizer loading on a small BPE tokenizer.json built here: encode/decode with the BOS post-processor,
// chat templates from tokenizer_config.json and chat_template.jinja, special tokens, generation_config.json
// defaults, and the vocabulary-size check naming tokenizer.json.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from './tokenizer';
import { specialAddedTokens } from './tokenizer-test-support';

const SPECIALS = ['<s>', '</s>', '<pad>', '<|user|>', '<|assistant|>'];
const PIECES = ['h', 'e', 'l', 'o', 'w', 'r', 'd', 'he', 'll', 'hell', 'hello', 'wo', 'wor', 'worl', 'world'];
const VOCAB = Object.fromEntries([...SPECIALS, ...PIECES].map((token, id) => [token, id]));

const TOKENIZER_JSON = {
  version: '1.0',
  added_tokens: specialAddedTokens(SPECIALS),
  normalizer: null,
  pre_tokenizer: { type: 'WhitespaceSplit' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] } },
  },
  decoder: { type: 'Fuse' },
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    vocab: VOCAB,
    // No 'worl d' merge: "world" stays two pieces, so the test sees merges stop where the table ends.
    merges: ['h e', 'l l', 'he ll', 'hell o', 'w o', 'wo r', 'wor l'],
  },
};

const TEMPLATE =
  "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}<|user|> {{ m['content'] }} " +
  "{% elif m['role'] == 'assistant' %}<|assistant|> {{ m['content'] }} {{ eos_token }}{% else %}" +
  "{{ raise_exception('unknown role ' + m['role']) }}{% endif %}{% endfor %}" +
  '{% if add_generation_prompt %}<|assistant|>{% endif %}';

const TOKENIZER_CONFIG = {
  bos_token: '<s>',
  eos_token: { __type: 'AddedToken', content: '</s>', special: true },
  pad_token: '<pad>',
  chat_template: TEMPLATE,
};

function folderWith(files: Record<string, unknown>): string {
  const folder = mkdtempSync(join(tmpdir(), 'tokenizer-'));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(folder, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return folder;
}

const id = (token: string): number => VOCAB[token] as number;

describe('ModelTokenizer', () => {
  it('encodes with BPE merges and the BOS post-processor, and decodes back', () => {
    const folder = folderWith({
      'tokenizer.json': TOKENIZER_JSON,
      'tokenizer_config.json': TOKENIZER_CONFIG,
    });
    const tok = ModelTokenizer.load(folder);
    expect(tok.encode('hello world')).toEqual([id('<s>'), id('hello'), id('worl'), id('d')]);
    expect(tok.encode('hello', { addSpecialTokens: false })).toEqual([id('hello')]);
    expect(tok.decode([id('<s>'), id('hell'), id('o')], { skipSpecialTokens: true })).toBe('hello');
    expect(tok.vocabSize).toBe(SPECIALS.length + PIECES.length);
  });

  it('resolves special tokens given as strings or AddedToken objects', () => {
    const tok = ModelTokenizer.load(
      folderWith({ 'tokenizer.json': TOKENIZER_JSON, 'tokenizer_config.json': TOKENIZER_CONFIG }),
    );
    expect([tok.bosTokenId, tok.padTokenId, tok.eosTokenIds]).toEqual([0, 2, [1]]);
  });

  it('renders the chat template from tokenizer_config.json and tokenizes it without adding BOS again', () => {
    const tok = ModelTokenizer.load(
      folderWith({ 'tokenizer.json': TOKENIZER_JSON, 'tokenizer_config.json': TOKENIZER_CONFIG }),
    );
    const messages = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'world' },
      { role: 'user', content: 'he' },
    ];
    expect(tok.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(
      '<s><|user|> hello <|assistant|> world </s><|user|> he <|assistant|>',
    );
    expect(tok.encodeChat(messages.slice(0, 1), { addGenerationPrompt: true })).toEqual([
      id('<s>'),
      id('<|user|>'),
      id('hello'),
      id('<|assistant|>'),
    ]);
    expect(() => tok.applyChatTemplate([{ role: 'tool', content: 'x' }])).toThrow('unknown role tool');
  });

  it('prefers chat_template.jinja over tokenizer_config.json', () => {
    const tok = ModelTokenizer.load(
      folderWith({
        'tokenizer.json': TOKENIZER_JSON,
        'tokenizer_config.json': TOKENIZER_CONFIG,
        'chat_template.jinja': '{% for m in messages %}[{{ m.content }}]{% endfor %}',
      }),
    );
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('[hi]');
  });

  it('honours generation_config.json: eos ids (a list) and sampling defaults', () => {
    const tok = ModelTokenizer.load(
      folderWith({
        'tokenizer.json': TOKENIZER_JSON,
        'tokenizer_config.json': TOKENIZER_CONFIG,
        'generation_config.json': {
          eos_token_id: [1, 4],
          temperature: 0.7,
          top_p: 0.9,
          top_k: 20,
          do_sample: true,
        },
      }),
    );
    expect(tok.generation).toEqual({
      eosTokenIds: [1, 4],
      temperature: 0.7,
      topP: 0.9,
      topK: 20,
      doSample: true,
    });
  });

  it("falls back to config.json's eos ids when generation_config.json has none", () => {
    const folder = folderWith({
      'tokenizer.json': TOKENIZER_JSON,
      'tokenizer_config.json': TOKENIZER_CONFIG,
    });
    expect(ModelTokenizer.load(folder, { vocabSize: 32, eosTokenIds: [1, 3] }).eosTokenIds).toEqual([1, 3]);
  });

  it("a tokenizer larger than config.json's vocab_size is an error naming tokenizer.json", () => {
    const folder = folderWith({ 'tokenizer.json': TOKENIZER_JSON });
    expect(() => ModelTokenizer.load(folder, { vocabSize: 10, eosTokenIds: [] })).toThrow(
      `${join(folder, 'tokenizer.json')}: the tokenizer has 20 tokens but config.json's vocab_size is 10`,
    );
  });

  it('a folder without tokenizer.json, or a tokenizer.json without a model', () => {
    const empty = folderWith({});
    expect(() => ModelTokenizer.load(empty)).toThrow(`${empty}: no tokenizer.json in this folder`);
    const bad = folderWith({ 'tokenizer.json': { version: '1.0' } });
    expect(() => ModelTokenizer.load(bad)).toThrow(`${join(bad, 'tokenizer.json')}: has no "model" section`);
  });

  it("a special token past config.json's vocab_size loads; text that would produce it is refused by name", () => {
    // As Gemma 3's text-only checkpoints: vocab_size 262144, tokenizer.json's <image_soft_token> is id 262144.
    const withImage = {
      ...TOKENIZER_JSON,
      added_tokens: [
        ...TOKENIZER_JSON.added_tokens,
        { ...(specialAddedTokens(['<img>'])[0] as object), id: SPECIALS.length + PIECES.length },
      ],
    };
    const folder = folderWith({ 'tokenizer.json': withImage });
    const tok = ModelTokenizer.load(folder, { vocabSize: 20, eosTokenIds: [] });
    expect(tok.vocabSize).toBe(21);
    expect(tok.encode('hello', { addSpecialTokens: false })).toEqual([id('hello')]);
    expect(() => tok.encode('hello <img>')).toThrow(
      `${join(folder, 'tokenizer.json')}: the text contains <img> (id 20), a special token outside the model's vocabulary`,
    );
  });

  it('passes every *_token of tokenizer_config.json and enable_thinking (when given) to the template', () => {
    const template =
      '{{ bos_token }}|{{ pad_token }}|{{ unk_token is defined }}|' +
      '{% if enable_thinking is defined %}{{ enable_thinking }}{% else %}unset{% endif %}';
    const tok = ModelTokenizer.load(
      folderWith({
        'tokenizer.json': TOKENIZER_JSON,
        'tokenizer_config.json': { ...TOKENIZER_CONFIG, chat_template: template },
      }),
    );
    expect(tok.applyChatTemplate([])).toBe('<s>|<pad>|false|unset');
    expect(tok.applyChatTemplate([], { enableThinking: false })).toBe('<s>|<pad>|false|false');
    expect(tok.applyChatTemplate([], { enableThinking: true })).toBe('<s>|<pad>|false|true');
  });
});
