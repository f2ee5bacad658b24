// What generation needs from a model and a tokenizer. The transformer graphs in src-main/models (prefill +
// decode with a KV cache) and its tokenizer implement these; tests use a small fake.

export interface DecoderModel<Cache> {
  /** Runs the whole prompt once; returns the logits after its last token and the cache holding it. */
  prefill(promptIds: readonly number[]): Promise<{ logits: Float32Array; cache: Cache }>;
  /** n independent caches that start from `cache` (the shared prompt). The caller still owns `cache`. */
  fork(cache: Cache, n: number): Promise<Cache[]>;
  /**
   * One decode step for a batch: row i appends tokens[i] to caches[i] and returns the logits after it.
   * Rows may come from different prompts, so their lengths may differ.
   */
  decode(caches: readonly Cache[], tokens: readonly number[]): Promise<Float32Array[]>;
  /** Frees a cache; it is not used again. */
  release(cache: Cache): void;
}

export interface TokenizerLike {
  /** Generated token ids to text, the way the candidate is shown and stored. */
  decode(tokenIds: readonly number[]): string;
}
