// Test helpers: a tiny deterministic bigram "model" (logits depend only on the last token) that counts its
// prefill, fork and decode calls and checks cache ownership, and a token-id -> string tokenizer.
import type { DecoderModel, TokenizerLike } from './decoder-model';

export const EOS = 0;
export const VOCAB = ['<eos>', 'a', 'b', 'c', ' ', '\n', 'ab', '!'] as const;
export const A = 1;
export const B = 2;
export const C = 3;
export const SPACE = 4;
export const NEWLINE = 5;
export const BANG = 7;

/** BIGRAM[previous][next]: the logits after token `previous`. Greedy from 'a' reads b c ! <eos>. */
export const BIGRAM: readonly (readonly number[])[] = [
  [0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
  [-1.0, 0.5, 2.0, 0.5, 0.0, -0.5, 0.3, -1.0],
  [-1.0, 0.4, 0.1, 2.0, 0.6, 0.2, 0.5, 0.0],
  [0.0, 0.3, 0.2, 0.1, 0.8, 0.6, 0.4, 1.5],
  [-0.5, 1.2, 0.8, 0.6, -2.0, 0.1, 1.0, -1.0],
  [0.5, 1.0, 0.7, 0.3, -1.0, -2.0, 0.9, 0.0],
  [0.2, 0.1, 0.3, 1.4, 0.9, 0.5, -1.0, 0.6],
  [1.8, 0.2, 0.1, 0.0, 0.9, 1.0, 0.3, -2.0],
];

export function bigramRow(previous: number): number[] {
  const row = BIGRAM[previous];
  if (!row) throw new Error(`fake model: token ${previous} is outside the vocabulary of ${VOCAB.length}`);
  return [...row];
}

export const fakeTokenizer: TokenizerLike = {
  decode: (ids) => ids.map((id) => VOCAB[id] ?? '?').join(''),
};

export interface FakeCache {
  id: number;
  tokens: number[];
}

export class FakeBigramModel implements DecoderModel<FakeCache> {
  readonly prefillCalls: number[][] = [];
  readonly forkSizes: number[] = [];
  /** Rows per decode call, in call order. */
  readonly decodeBatchSizes: number[] = [];
  private readonly live = new Set<number>();
  private nextId = 0;

  /** Called after each decode, e.g. to abort the run from inside a step. */
  constructor(private readonly afterDecode: (calls: number) => void = () => {}) {}

  get liveCaches(): number {
    return this.live.size;
  }

  private create(tokens: number[]): FakeCache {
    const cache = { id: this.nextId++, tokens };
    this.live.add(cache.id);
    return cache;
  }

  private check(cache: FakeCache): void {
    if (!this.live.has(cache.id)) throw new Error(`fake model: cache ${cache.id} used after release`);
  }

  async prefill(promptIds: readonly number[]): Promise<{ logits: Float32Array; cache: FakeCache }> {
    this.prefillCalls.push([...promptIds]);
    const cache = this.create([...promptIds]);
    return { logits: Float32Array.from(bigramRow(promptIds.at(-1) as number)), cache };
  }

  async fork(cache: FakeCache, n: number): Promise<FakeCache[]> {
    this.check(cache);
    this.forkSizes.push(n);
    return Array.from({ length: n }, () => this.create([...cache.tokens]));
  }

  async decode(caches: readonly FakeCache[], tokens: readonly number[]): Promise<Float32Array[]> {
    if (caches.length !== tokens.length) throw new Error('fake model: caches and tokens differ in length');
    this.decodeBatchSizes.push(caches.length);
    const rows = caches.map((cache, i) => {
      this.check(cache);
      cache.tokens.push(tokens[i] as number);
      return Float32Array.from(bigramRow(tokens[i] as number));
    });
    this.afterDecode(this.decodeBatchSizes.length);
    return rows;
  }

  release(cache: FakeCache): void {
    this.check(cache);
    this.live.delete(cache.id);
  }
}

/** log_softmax(row)[token], written out plainly for the tests. */
export function plainLogSoftmax(row: readonly number[], token: number): number {
  const max = row.reduce((m, x) => Math.max(m, x), -Infinity); // no spread: rows can be a real vocabulary wide
  const logSum = Math.log(row.reduce((sum, x) => sum + Math.exp(x - max), 0)) + max;
  return (row[token] as number) - logSum;
}
