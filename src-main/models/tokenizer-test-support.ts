// Test helpers for hand-built tokenizers: tokenizer.json's special-token entries, and a small word-level
// tokenizer with a chat template that the training tests (collation, the CLI's logprobs) share.

/** tokenizer.json `added_tokens`: each of `specials` a special token, ids 0.. in order. */
export function specialAddedTokens(specials: readonly string[]): unknown[] {
  return specials.map((content, id) => ({
    id,
    content,
    special: true,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
  }));
}

/** The word-level vocabulary in id order; the first five are special tokens. */
export const CHAT_WORDS = [
  '<pad>',
  '<s>',
  '</s>',
  '<|user|>',
  '<|assistant|>',
  'hi',
  'there',
  'yes',
  'no',
  'what',
  '?',
];

/** A tokenizer.json splitting on whitespace into CHAT_WORDS (unknown words become `<pad>`). */
export const CHAT_WORDS_TOKENIZER_JSON = {
  version: '1.0',
  added_tokens: specialAddedTokens(CHAT_WORDS.slice(0, 5)),
  normalizer: null,
  pre_tokenizer: { type: 'WhitespaceSplit' },
  post_processor: null,
  decoder: null,
  model: {
    type: 'WordLevel',
    vocab: Object.fromEntries(CHAT_WORDS.map((w, i) => [w, i])),
    unk_token: '<pad>',
  },
};

/** tokenizer_config.json for CHAT_WORDS: bos/eos and a chat template whose words are all in the vocabulary. */
export const CHAT_WORDS_TOKENIZER_CONFIG = {
  bos_token: '<s>',
  eos_token: '</s>',
  chat_template:
    "{% for m in messages %}{% if m['role'] == 'user' %}<|user|> {{ m['content'] }} {% else %}" +
    "<|assistant|> {{ m['content'] }} </s> {% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|> {% endif %}",
};
