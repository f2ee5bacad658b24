// A small byte-level BPE trainer (GPT-2's scheme: bytes mapped to printable characters, the GPT-2
// pre-tokenizer regex, merges learned by pair frequency) that writes a Hugging Face tokenizer.json.
// Written here because no maintained npm package trains BPE tokenizers; @huggingface/tokenizers loads it.

/** GPT-2's bytes_to_unicode: every byte gets a printable character, so merges are plain strings. */
export function bytesToUnicode(): string[] {
  const printable = new Set<number>();
  for (const [from, to] of [
    [33, 126],
    [161, 172],
    [174, 255],
  ] as const) {
    for (let b = from; b <= to; b += 1) printable.add(b);
  }
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b += 1) {
    table[b] = String.fromCodePoint(printable.has(b) ? b : 256 + extra++);
  }
  return table;
}

/** GPT-2's pre-tokenizer split (the same regex ByteLevel uses with use_regex: true). */
const PRE_TOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

function wordCounts(texts: readonly string[], byteChars: readonly string[]): Map<string, number> {
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of text.match(PRE_TOKENIZE) ?? []) {
      const word = Array.from(encoder.encode(piece), (b) => byteChars[b]!).join('');
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

interface Word {
  symbols: string[];
  count: number;
}

/** The most frequent adjacent pair; ties go to the lexicographically smallest, so training is deterministic. */
function bestPair(words: readonly Word[]): [string, string] | undefined {
  const counts = new Map<string, number>();
  for (const word of words) {
    for (let i = 0; i + 1 < word.symbols.length; i += 1) {
      const key = `${word.symbols[i]} ${word.symbols[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + word.count);
    }
  }
  let best: string | undefined;
  let bestCount = 1; // a pair seen once teaches nothing
  for (const [key, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
      best = key;
      bestCount = count;
    }
  }
  if (best === undefined) return undefined;
  const space = best.indexOf(' ', 1);
  return [best.slice(0, space), best.slice(space + 1)];
}

function applyMerge(words: Word[], [left, right]: [string, string]): void {
  for (const word of words) {
    const merged: string[] = [];
    for (let i = 0; i < word.symbols.length; i += 1) {
      if (word.symbols[i] === left && word.symbols[i + 1] === right) {
        merged.push(left + right);
        i += 1;
      } else {
        merged.push(word.symbols[i]!);
      }
    }
    word.symbols = merged;
  }
}

export interface TrainedBpe {
  /** Token string -> id: special tokens first, then the 256 bytes, then one token per merge. */
  vocab: Map<string, number>;
  merges: [string, string][];
}

export function trainByteLevelBpe(
  texts: readonly string[],
  vocabSize: number,
  specialTokens: readonly string[],
): TrainedBpe {
  const byteChars = bytesToUnicode();
  const vocab = new Map<string, number>();
  for (const token of [...specialTokens, ...[...byteChars].sort()]) vocab.set(token, vocab.size);
  if (vocabSize < vocab.size)
    throw new Error(`BPE: vocabSize ${vocabSize} is below the ${vocab.size} base tokens`);
  const words = [...wordCounts(texts, byteChars)].map(([word, count]) => ({ symbols: [...word], count }));
  const merges: [string, string][] = [];
  while (vocab.size < vocabSize) {
    const pair = bestPair(words);
    if (!pair) break;
    applyMerge(words, pair);
    merges.push(pair);
    vocab.set(pair[0] + pair[1], vocab.size);
  }
  return { vocab, merges };
}

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/** The tokenizer.json Hugging Face's tokenizers (Rust and JS) read, with the special tokens as added tokens. */
export function tokenizerJson(bpe: TrainedBpe, specialTokens: readonly string[]): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((content) => ({
      id: bpe.vocab.get(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    post_processor: { ...BYTE_LEVEL, trim_offsets: false },
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab),
      merges: bpe.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}
