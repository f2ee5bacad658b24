// Test helper: a complete checkpoint folder from a committed model fixture (config.json + safetensors) plus a
// character-level tokenizer that fills its 96-token vocabulary, a chat template and generation_config.json.
import { copyFileSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { specialAddedTokens } from '../models/tokenizer-test-support';

const MODEL_FIXTURES = join(import.meta.dirname, '..', 'models', 'fixtures');
const SPECIALS = ['<unk>', '<s>', '</s>', '<|user|>', '<|assistant|>'];
export const PRINTABLE_CHARACTERS = [
  ...' abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'.,?!:;\'"-()[]{}<>/+=*#@&%$~\n',
];

/**
 * A tokenizer.json whose vocabulary is `tokens` in id order, the first `specials` of them added special
 * tokens: a BPE without merges, so text encodes character by character and ids decode to their strings.
 * `bos` adds that token in front of every encoded text.
 */
export function characterTokenizerJson(tokens: readonly string[], specials: number, bos?: string): unknown {
  return {
    version: '1.0',
    added_tokens: specialAddedTokens(tokens.slice(0, specials)),
    normalizer: null,
    pre_tokenizer: null,
    post_processor:
      bos === undefined
        ? null
        : {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
            special_tokens: { [bos]: { id: bos, ids: [tokens.indexOf(bos)], tokens: [bos] } },
          },
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: tokens[0],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab: Object.fromEntries(tokens.map((token, id) => [token, id])),
      merges: [],
    },
  };
}

export const FIXTURE_CHAT_TEMPLATE =
  "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}" +
  '{% if add_generation_prompt %}<|assistant|>{% endif %}';

/**
 * A temporary checkpoint folder: the `llama` fixture (vocabulary 96, eos 2; `fixture` names another) with a tokenizer; `chatTemplate:
 * false` leaves the template out; `generationConfig` replaces generation_config.json's content.
 */
export function writeCheckpointFixture(
  options: { fixture?: string; chatTemplate?: boolean; generationConfig?: Record<string, unknown> } = {},
): string {
  const source = join(MODEL_FIXTURES, options.fixture ?? 'llama');
  const dir = mkdtempSync(join(tmpdir(), 'dpo-checkpoint-'));
  for (const file of readdirSync(source)) {
    // The checkpoint's files only: not the reference, nor a fixture's adapter/ folder.
    if (file !== 'reference.json' && statSync(join(source, file)).isFile())
      copyFileSync(join(source, file), join(dir, file));
  }
  const write = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value));
  const tokens = [...SPECIALS, ...PRINTABLE_CHARACTERS]; // exactly the fixtures' vocabulary of 96
  write('tokenizer.json', characterTokenizerJson(tokens, SPECIALS.length, '<s>'));
  write('tokenizer_config.json', {
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    ...(options.chatTemplate === false ? {} : { chat_template: FIXTURE_CHAT_TEMPLATE }),
  });
  write(
    'generation_config.json',
    options.generationConfig ?? { eos_token_id: 2, temperature: 0.8, top_k: 20, top_p: 0.95 },
  );
  return dir;
}
