// Test helper: a complete, loadable checkpoint folder in a temporary place: the committed random Llama
// fixture (vocabulary 96) with a character-level tokenizer that fits it, a chat template and
// generation_config.json, so a model can be imported and sampled from without a download.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES } from '../models/test-support';

const SPECIALS = ['<unk>', '<s>', '</s>'];
// Printable ASCII from the space to '|': 93 characters, so with the specials the vocabulary is exactly 96.
const CHARS = Array.from({ length: 93 }, (_, i) => String.fromCharCode(32 + i));

export const TEST_CHAT_TEMPLATE =
  "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }} {% endfor %}" +
  '{% if add_generation_prompt %}assistant: {% endif %}';

export function characterTokenizerJson(): object {
  const vocab = Object.fromEntries([...SPECIALS, ...CHARS].map((token, id) => [token, id]));
  return {
    version: '1.0',
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      special: true,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [],
    },
  };
}

/** Writes the checkpoint into `dir` (a new temporary folder by default) and returns the folder. */
export function writeTestCheckpoint(dir = mkdtempSync(path.join(tmpdir(), 'dpo-test-model-'))): string {
  const fixture = path.join(FIXTURES, 'llama');
  for (const file of ['config.json', 'model.safetensors']) {
    copyFileSync(path.join(fixture, file), path.join(dir, file));
  }
  const json = (name: string, value: unknown) =>
    writeFileSync(path.join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  json('tokenizer.json', characterTokenizerJson());
  json('tokenizer_config.json', {
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    chat_template: TEST_CHAT_TEMPLATE,
  });
  json('generation_config.json', {
    eos_token_id: 2,
    do_sample: true,
    temperature: 0.8,
    top_k: 20,
    top_p: 0.95,
    max_new_tokens: 12,
  });
  return dir;
}
