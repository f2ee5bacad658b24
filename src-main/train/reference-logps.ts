// Reference log-probs of a run's pairs (the base model without the adapter), computed once: a cache keyed by
// the model's identity and the exact tokens scored answers what it can; only the rest is scored.
import { createHash } from 'node:crypto';
import { buildScoringGraph, type Checkpoint as ModelCheckpoint } from '../models/index';
import type { DeviceRequest } from '../runtime/index';
import { truncatePair, type CollateOptions, type PairExample } from './collate';
import { openGraph } from './graph-session';
import { scorePairs } from './sequence-logps';

export interface CachedLogp {
  /** Sum over the completion tokens of log p(token | everything before it). */
  logp: number;
  /** Completion tokens scored. */
  tokens: number;
}

/** Where reference log-probs are kept between runs (the app's SQLite table reference_logps). */
export interface ReferenceLogpCache {
  /** The cached entries among `keys` (absent keys are not cached). */
  get(modelHash: string, keys: readonly string[]): Promise<ReadonlyMap<string, CachedLogp>>;
  put(modelHash: string, entries: ReadonlyMap<string, CachedLogp>): Promise<void>;
}

/** sha256 of what the model computes with: its config and every weight (name, shape and float32 bytes). */
export function modelHash(model: Pick<ModelCheckpoint, 'config' | 'weights'>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(model.config));
  for (const name of [...model.weights.keys()].sort()) {
    const t = model.weights.get(name);
    if (!t) continue;
    hash.update(`\n${name}:${t.dims.join('x')}\n`);
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return hash.digest('hex');
}

/** sha256 of one scored sequence: its token ids after truncation and where its completion starts. */
export function sequenceKey(ids: readonly number[], promptLength: number): string {
  return createHash('sha256').update(`${promptLength}:`).update(Uint32Array.from(ids)).digest('hex');
}

/** The keys of a pair's chosen and rejected sequences, as collate truncates them. */
export function pairKeys(example: PairExample, maxLength: number | undefined): [string, string] {
  const chosen = truncatePair(example.prompt, example.chosen, maxLength);
  const rejected = truncatePair(example.prompt, example.rejected, maxLength);
  return [sequenceKey(chosen.ids, chosen.promptLength), sequenceKey(rejected.ids, rejected.promptLength)];
}

export interface ReferenceResult {
  /** [chosen, rejected] log-probs per example, in order. */
  refs: number[][];
  /** Pairs answered by the cache, and pairs scored now. */
  cachedPairs: number;
  scoredPairs: number;
}

/**
 * Reference log-probs of every example: from `cache` where both sides are cached, the rest scored with
 * the base model (no adapter) in batches of `batchSize` pairs and written back to the cache.
 */
export async function referenceLogps(
  model: ModelCheckpoint,
  examples: readonly PairExample[],
  options: { collate: CollateOptions; batchSize: number; device: DeviceRequest },
  cache?: ReferenceLogpCache,
): Promise<ReferenceResult> {
  const keys = examples.map((e) => pairKeys(e, options.collate.maxLength));
  const hash = cache ? modelHash(model) : '';
  const found = cache ? await cache.get(hash, [...new Set(keys.flat())]) : new Map<string, CachedLogp>();
  const refs: number[][] = keys.map(([c, r]) => {
    const chosen = found.get(c);
    const rejected = found.get(r);
    return chosen && rejected ? [chosen.logp, rejected.logp] : [];
  });
  const missing = refs.flatMap((r, i) => (r.length === 0 ? [i] : []));
  if (missing.length > 0) {
    const reference = await openGraph(buildScoringGraph(model.config, model.weights), 'reference', {
      device: options.device,
    });
    const scored = await scorePairs(
      reference.session,
      missing.map((i) => examples[i] as PairExample),
      { ...options.collate, batchSize: options.batchSize },
    ).finally(() => reference.close());
    const fresh = new Map<string, CachedLogp>();
    scored.forEach((s, j) => {
      const i = missing[j] as number;
      refs[i] = [s.chosenLogp, s.rejectedLogp];
      const [c, r] = keys[i] as [string, string];
      if (Number.isFinite(s.chosenLogp)) fresh.set(c, { logp: s.chosenLogp, tokens: s.chosenTokens });
      if (Number.isFinite(s.rejectedLogp)) fresh.set(r, { logp: s.rejectedLogp, tokens: s.rejectedTokens });
    });
    if (cache && fresh.size > 0) await cache.put(hash, fresh);
  }
  return { refs, cachedPairs: examples.length - missing.length, scoredPairs: missing.length };
}
