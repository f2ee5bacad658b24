// Reference log-probs of a run's pairs (the base model, or the starting adapter frozen), computed once through
// the policy's own graph: a cache keyed by the reference's identity and the exact tokens scored answers what
// it can; only the rest is scored.
import { createHash } from 'node:crypto';
import type { DeviceRequest, SessionOptions } from '../runtime/index';
import { collatePairs, truncatePair, type CollateOptions, type PairExample } from './collate';
import { buildReferenceGraph, type DpoGraphSpec } from './dpo-graph';
import { f32, i64, openGraph } from './graph-session';
import { headFeeds, headTokens } from './head-tokens';
import { paramNameA, paramNameB, type LoraState } from './lora-modules';

export interface CachedLogp {
  /** Sum over the completion tokens of log p(token | everything before it). */
  logp: number;
  /** Completion tokens scored. */
  tokens: number;
}

/**
 * Where reference log-probs are kept between runs (the app's SQLite table reference_logps, whose model_hash
 * column holds referenceHash: the reference's identity, so base and starting-adapter references never mix).
 */
export interface ReferenceLogpCache {
  /** The cached entries among `keys` (absent keys are not cached). */
  get(modelHash: string, keys: readonly string[]): Promise<ReadonlyMap<string, CachedLogp>>;
  put(modelHash: string, entries: ReadonlyMap<string, CachedLogp>): Promise<void>;
}

/** sha256 of what the model computes with: its config and every weight (name, shape and float32 bytes). */
export function modelHash(model: Pick<DpoGraphSpec, 'config' | 'weights'>): string {
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

/**
 * The reference of a run: the policy's model and LoRA modules with the reference's own LoRA tensors. 'base'
 * feeds B = 0 (the LoRA term is exactly 0, so these are the base model's numbers whatever A is); 'init'
 * feeds the starting adapter, frozen.
 */
export interface ReferenceModel extends Pick<DpoGraphSpec, 'config' | 'weights' | 'modules' | 'lora'> {
  kind: 'base' | 'init';
  state: LoraState;
}

/** The policy's LoRA tensors with every B zeroed: the base model through the policy's graph. */
export function baseReferenceState(state: LoraState): LoraState {
  return new Map(
    [...state].map(([name, data]) => [
      name,
      name.endsWith('lora_B.weight') ? new Float32Array(data.length) : data,
    ]),
  );
}

/**
 * The cache's model key of a reference: sha256 of how it is scored (the policy graph, float32 sums, so rows
 * of the older scoring graph never mix in), the model (modelHash) and, for 'init', the adapter's r, alpha
 * and every tensor. A base and an init reference, or two different starting adapters, never share a key.
 */
export function referenceHash(reference: ReferenceModel): string {
  const hash = createHash('sha256');
  hash.update(`reference/policy-graph-chunked-head/${reference.kind}\n${modelHash(reference)}\n`);
  if (reference.kind === 'init') {
    hash.update(`r=${reference.lora.r} alpha=${reference.lora.alpha}\n`);
    for (const name of [...reference.state.keys()].sort()) {
      const data = reference.state.get(name) as Float32Array;
      hash.update(`${name}:${data.length}\n`);
      hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
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
  /** [chosen, rejected] log-probs per example, in order; [] for a pair left to the first step. */
  refs: number[][];
  /** Pairs answered by the cache, and pairs scored for this run (here or by its first step). */
  cachedPairs: number;
  scoredPairs: number;
  /** Stores what the first step scored of the pairs left to it (in the cache; the runner keeps refs). */
  store(scored: ReadonlyMap<number, readonly [CachedLogp, CachedLogp]>): Promise<void>;
}

/**
 * Reference log-probs of every example: from `cache` where both sides are cached, those of `firstStep` (the
 * pairs of a fresh run's first step, whose adapter is still the reference's) left to that step, which
 * scores them in its own forward pass, and the rest scored here through the policy's graph with the
 * reference's LoRA tensors, `batchSize` pairs per run. Everything scored goes back to the cache.
 */
export async function referenceLogps(
  reference: ReferenceModel,
  examples: readonly PairExample[],
  options: {
    collate: CollateOptions;
    batchSize: number;
    device: DeviceRequest;
    headChunks: number;
    firstStep?: readonly number[];
    /** onnxruntime settings besides the device (the optimized-model cache, the CPU arena). */
    session?: Omit<SessionOptions, 'device'>;
  },
  cache?: ReferenceLogpCache,
): Promise<ReferenceResult> {
  const keys = examples.map((e) => pairKeys(e, options.collate.maxLength));
  const hash = cache ? referenceHash(reference) : '';
  const found = cache ? await cache.get(hash, [...new Set(keys.flat())]) : new Map<string, CachedLogp>();
  const refs: number[][] = keys.map(([c, r]) => {
    const chosen = found.get(c);
    const rejected = found.get(r);
    return chosen && rejected ? [chosen.logp, rejected.logp] : [];
  });
  const leftToStep = new Set((options.firstStep ?? []).filter((i) => refs[i]?.length === 0));
  const store = async (scored: ReadonlyMap<number, readonly [CachedLogp, CachedLogp]>): Promise<void> => {
    const fresh = new Map<string, CachedLogp>();
    for (const [i, sides] of scored) {
      if (!leftToStep.has(i)) continue;
      sides.forEach((side, s) => {
        if (Number.isFinite(side.logp)) fresh.set((keys[i] as [string, string])[s] as string, side);
      });
    }
    if (cache && fresh.size > 0) await cache.put(hash, fresh);
  };
  const missing = refs.flatMap((r, i) => (r.length === 0 && !leftToStep.has(i) ? [i] : []));
  const scoredPairs = missing.length + leftToStep.size;
  const result = { refs, cachedPairs: examples.length - scoredPairs, scoredPairs, store };
  if (missing.length === 0) return result;
  const opened = await openGraph(
    buildReferenceGraph({ ...reference, headChunks: options.headChunks }),
    'reference',
    { ...options.session, device: options.device },
  );
  const fresh = new Map<string, CachedLogp>();
  try {
    const lora = Object.fromEntries(
      reference.modules.flatMap((m) =>
        [
          [paramNameA(m.module), [reference.lora.r, m.inFeatures]],
          [paramNameB(m.module), [m.outFeatures, reference.lora.r]],
        ].map(([name, dims]) => [
          name,
          f32(reference.state.get(name as string) as Float32Array, dims as number[]),
        ]),
      ),
    );
    for (let at = 0; at < missing.length; at += options.batchSize) {
      const part = missing.slice(at, at + options.batchSize);
      const batch = collatePairs(
        part.map((i) => examples[i] as PairExample),
        options.collate,
      );
      const out = await opened.session.run(
        {
          ...lora,
          input_ids: i64(batch.inputIds, batch.dims), // (2B, T)
          attention_mask: i64(batch.attentionMask, batch.dims),
          ...headFeeds(headTokens(batch, options.headChunks), batch), // the completion tokens
        },
        ['sequence_logps'],
      );
      const logps = out.sequence_logps?.data as Float32Array; // (2B)
      part.forEach((i, j) => {
        const [chosen, rejected] = [logps[j] as number, logps[part.length + j] as number];
        refs[i] = [chosen, rejected];
        const [c, r] = keys[i] as [string, string];
        const tokens = batch.completionTokens;
        if (Number.isFinite(chosen)) fresh.set(c, { logp: chosen, tokens: tokens[j] as number });
        if (Number.isFinite(rejected))
          fresh.set(r, { logp: rejected, tokens: tokens[part.length + j] as number });
      });
    }
  } finally {
    await opened.close();
  }
  if (cache && fresh.size > 0) await cache.put(hash, fresh);
  return result;
}
