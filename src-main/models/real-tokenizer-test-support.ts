// The real Qwen3, Gemma 3 and Llama 3 tokenizers as test data: the workbench's tokenizer path
// (ModelTokenizer.load, as loadGenerator and training load a checkpoint folder) against @lenml/tokenizers (an
// independent implementation, a fork of transformers.js's tokenizers) on seeded varied strings, and the chat
// templates against renders made by Python's jinja2 (fixtures/chat-renders/). One suite per family file, so
// each big tokenizer.json is parsed once per file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenizerLoader } from '@lenml/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelTokenizer, type ChatMessage } from './tokenizer';

export type Family = 'qwen3' | 'gemma3' | 'llama3';

/** The @lenml package's models/ folder: tokenizer.json and tokenizer_config.json as the hub ships them. */
export function familyFolder(family: Family): string {
  return fileURLToPath(new URL(`../../node_modules/@lenml/tokenizer-${family}/models`, import.meta.url));
}

/** mulberry32: a small seeded PRNG, so every run compares the same strings. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'the',
  'Hello',
  'world',
  "don't",
  "I'M",
  "we'll",
  "it'S",
  'naïve',
  'café',
  'DPO',
  'tokenizer',
  'x',
];
const SCRIPTS = [
  'Привет, мир',
  'Ελληνικά',
  'مرحبا بالعالم',
  'שלום',
  'नमस्ते दुनिया',
  'สวัสดี',
  '안녕하세요',
  'こんにちは、カタカナ',
  '中文字符，标点。',
  '繁體中文',
  '𠀀𠀁𪚥',
  'e\u0301 (NFD)',
  'Å ﬁ ß ǅ',
  '∑∫√∞ ≠ ≤',
  '┌─┐│└┘',
  '¿¡«»„“”‘’',
];
const EMOJI = ['🤖', '👍🏽', '👨‍👩‍👧‍👦', '🇵🇪🇯🇵', '1️⃣', '❤️', '🏳️‍🌈', '😀😃😄', '🫠', '☕︎'];
const CODE = [
  'def f(x):\n    return x * 2\n',
  'for (let i = 0; i < n; i++) {\n\tsum += a[i];\n}',
  '{"key": [1, 2.5, null, true], "s": "a\\"b"}',
  '<div class="a">&amp;</div>',
  'SELECT * FROM t WHERE id = 42;',
  '#include <stdio.h>\nint main(){return 0;}',
  '    indented\n        more\n',
  '```py\nprint(1)\n```',
];
const SPACES = [
  ' ',
  '  ',
  '   ',
  '\t',
  '\t\t',
  '\n',
  '\n\n',
  '\n\n\n',
  '\r\n',
  ' \n ',
  '\u00a0',
  '\u3000',
  '\u2028',
  '\u200b',
  '\ufeff',
];
const DIGITS = ['0', '7', '42', '123', '2026', '1234567', '3.14159', '1,000,000', '１２３'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** A random BMP code point that is not a surrogate (controls, private use and rare blocks included). */
function randomChar(random: () => number): string {
  for (;;) {
    const c = Math.floor(random() * 0x10000);
    if (c < 0xd800 || c > 0xdfff) return String.fromCodePoint(c);
  }
}

/**
 * `count` strings, each 1-8 fragments: words and contractions, scripts, emoji, code, runs of whitespace and
 * newlines, digits, random code points, and the family's special-token texts whole, cut, or glued to text.
 */
export function variedStrings(count: number, seed: number, specialTexts: readonly string[]): string[] {
  const random = seededRandom(seed);
  const fragment = (): string => {
    const kind = Math.floor(random() * 8);
    switch (kind) {
      case 0:
        return pick(random, WORDS);
      case 1:
        return pick(random, SCRIPTS);
      case 2:
        return pick(random, EMOJI);
      case 3:
        return pick(random, CODE);
      case 4:
        return pick(random, SPACES).repeat(1 + Math.floor(random() * 4));
      case 5:
        return pick(random, DIGITS);
      case 6:
        return Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomChar(random)).join('');
      default: {
        const special = pick(random, specialTexts);
        return random() < 0.25 ? special.slice(0, Math.max(1, special.length - 2)) : special;
      }
    }
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(random() * 8) }, fragment).join(''),
  );
}

/**
 * tokenizer.json with its Split regexes' `\s` / `\S` written as `\p{White_Space}` / `\P{White_Space}`, for
 * @lenml/tokenizers. The hub's tokenizers (Rust, Oniguruma) and @huggingface/tokenizers read `\s` as the
 * Unicode White_Space property; @lenml/tokenizers hands the pattern to a JS RegExp, whose `\s` also matches
 * U+FEFF and misses U+0085, so without this it splits text with those characters differently from the
 * hub's tokenizers (9 of the 3000 Qwen3 strings here, 4 of the 3000 Llama 3 ones).
 */
export function withUnicodeWhitespace<T extends object>(tokenizerJSON: T): T {
  const pattern = JSON.stringify((tokenizerJSON as { pre_tokenizer?: unknown }).pre_tokenizer ?? null)
    .replaceAll('\\\\s', '\\\\p{White_Space}')
    .replaceAll('\\\\S', '\\\\P{White_Space}');
  return { ...tokenizerJSON, pre_tokenizer: JSON.parse(pattern) as unknown };
}

interface Render {
  messages: ChatMessage[];
  add_generation_prompt: boolean;
  enable_thinking?: boolean;
  text: string;
}

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/chat-renders/${name}`, import.meta.url), 'utf8'));

/** The renders of expected-renders.json and more-renders.json for one family. */
export function chatRenders(family: Family): { shared: Render[]; more: Render[] } {
  const shared = (fixture('expected-renders.json') as Record<Family, { renders: Render[] }>)[family].renders;
  const more = fixture('more-renders.json') as Record<
    Family,
    { renders: (Omit<Render, 'messages'> & { conversation: number })[] }
  > & {
    conversations: ChatMessage[][];
  };
  return {
    shared,
    more: more[family].renders.map(({ conversation, ...r }) => ({
      ...r,
      messages: more.conversations[conversation] as ChatMessage[],
    })),
  };
}

export interface FamilyExpectations {
  family: Family;
  /** config.json's vocab_size and eos_token_id of a real checkpoint of the family. */
  modelVocabSize: number;
  modelEosTokenIds: number[];
  /** The tokenizer's size (largest id + 1, added tokens included). */
  tokenizerSize: number;
  /** The BOS token the chat template writes, or undefined (Qwen3 has none). */
  bos: { token: string; id: number } | undefined;
  /** Whether tokenizer.json's post-processor adds BOS to encode(text). */
  encodeAddsBos: boolean;
  strings: number;
  seed: number;
}

/**
 * The suite one family's test file runs; `more` adds tests over the same loaded tokenizer (the services
 * tests use it to hold generation's prompts against training's).
 */
export function realTokenizerSuite(
  e: FamilyExpectations,
  more?: (tokenizer: () => ModelTokenizer) => void,
): void {
  const folder = familyFolder(e.family);
  let ours: ModelTokenizer;
  let reference: ReturnType<typeof TokenizerLoader.fromPreTrained>;
  let specialTexts: string[];

  beforeAll(() => {
    // tokenizer.json parsed once (Gemma 3's is 33 MB) and given to both: ModelTokenizer.fromSources is what
    // ModelTokenizer.load runs after reading the folder's files. Ours is built first, from the file as it is.
    const tokenizerJSON = JSON.parse(readFileSync(join(folder, 'tokenizer.json'), 'utf8')) as {
      added_tokens: { content: string }[];
    };
    const tokenizerConfig = JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    ours = ModelTokenizer.fromSources({
      tokenizerJson: tokenizerJSON,
      tokenizerConfig,
      folder,
      model: { vocabSize: e.modelVocabSize, eosTokenIds: e.modelEosTokenIds },
    });
    reference = TokenizerLoader.fromPreTrained({
      tokenizerJSON: withUnicodeWhitespace(tokenizerJSON),
      tokenizerConfig,
    } as never);
    // The special-token texts the strings use: the first 40 added tokens (turn markers, BOS/EOS, think tags).
    specialTexts = tokenizerJSON.added_tokens.slice(0, 40).map((t) => t.content);
    if (e.family === 'qwen3')
      specialTexts.push(...tokenizerJSON.added_tokens.slice(-6).map((t) => t.content));
  }, 120_000);

  describe(`${e.family}: the real tokenizer through ModelTokenizer`, () => {
    it(`loads: ${e.tokenizerSize} tokens, BOS ${e.bos?.token ?? 'none'}`, () => {
      expect(ours.vocabSize).toBe(e.tokenizerSize);
      expect(ours.bosTokenId).toBe(e.bos?.id);
      expect(ours.encode('hi')[0] === e.bos?.id).toBe(e.encodeAddsBos);
    });

    it(`encodes and decodes ${e.strings} seeded strings as @lenml/tokenizers does`, () => {
      const strings = variedStrings(e.strings, e.seed, specialTexts);
      const differences: unknown[] = [];
      let compared = 0;
      for (const text of strings) {
        const withSpecials = ours.encode(text);
        const bare = ours.encode(text, { addSpecialTokens: false });
        const checks: [string, unknown, unknown][] = [
          ['encode', withSpecials, reference.encode(text)],
          ['encode (no special tokens)', bare, reference.encode(text, { add_special_tokens: false })],
          [
            'decode',
            ours.decode(withSpecials),
            reference.decode(withSpecials, { skip_special_tokens: false }),
          ],
          [
            'decode (skip special tokens)',
            ours.decode(withSpecials, { skipSpecialTokens: true }),
            reference.decode(withSpecials, { skip_special_tokens: true }),
          ],
        ];
        for (const [what, got, want] of checks) {
          compared += 1;
          if (JSON.stringify(got) !== JSON.stringify(want)) differences.push({ what, text, got, want });
        }
      }
      expect(compared).toBe(4 * e.strings);
      expect(differences.slice(0, 3)).toEqual([]);
    });

    it('renders the chat template as transformers does, and the ids are that text encoded', () => {
      const { shared, more } = chatRenders(e.family);
      const wrong: unknown[] = [];
      for (const r of [...shared, ...more]) {
        const options = {
          addGenerationPrompt: r.add_generation_prompt,
          ...(r.enable_thinking === undefined ? {} : { enableThinking: r.enable_thinking }),
        };
        const text = ours.applyChatTemplate(r.messages, options);
        const ids = ours.encodeChat(r.messages, options);
        const want = reference.encode(r.text, { add_special_tokens: false });
        if (text !== r.text || JSON.stringify(ids) !== JSON.stringify(want)) wrong.push({ ...r, got: text });
      }
      expect(shared.length).toBe(8);
      expect(wrong.slice(0, 2)).toEqual([]);
    });

    it('BOS as the family expects: one from the template, none added by encodeChat', () => {
      const messages = [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ];
      const ids = ours.encodeChat(messages, { addGenerationPrompt: true });
      if (e.bos) {
        expect(ids[0]).toBe(e.bos.id);
        expect(ids.filter((id) => id === e.bos?.id)).toHaveLength(1);
      } else {
        expect(ours.bosTokenId).toBeUndefined();
      }
    });

    more?.(() => ours);
  });
}
