// Pairing strategies as pure functions, applied when a prompt's candidates go to rating: all pairs, best vs
// worst by log-prob, a seeded random sample, or uncertainty (the pairs whose reward margin is nearest zero,
// from rewards scored beforehand by services/uncertainty-scoring.ts); near-duplicate candidates are dropped
// first.
import type { PairingStrategy } from '../../../src-shared/labeling-schemas';

export interface PairingCandidate {
  id: number;
  text: string;
  logp: number | null;
  tokenCount: number | null;
}

/**
 * Two candidates are near-duplicates when their normalised texts are equal (Unicode NFKC, lower case,
 * whitespace collapsed) or when the Jaccard similarity of their word sets (letters and digits; punctuation
 * ignored) reaches this threshold.
 */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.9;

export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function wordJaccard(first: string, second: string): number {
  const words = (text: string) =>
    new Set(
      normalizeText(text)
        .split(/[^\p{L}\p{N}]+/u)
        .filter(Boolean),
    );
  const a = words(first);
  const b = words(second);
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const word of a) if (b.has(word)) shared += 1;
  return shared / (a.size + b.size - shared);
}

/** Keeps the first of each group of near-duplicates, in the given order. */
export function dropNearDuplicates<T extends PairingCandidate>(candidates: readonly T[], threshold: number) {
  const kept: T[] = [];
  const dropped: T[] = [];
  for (const candidate of candidates) {
    const similar = kept.some(
      (other) =>
        normalizeText(other.text) === normalizeText(candidate.text) ||
        wordJaccard(other.text, candidate.text) >= threshold,
    );
    (similar ? dropped : kept).push(candidate);
  }
  return { kept, dropped };
}

export function allPairs(candidates: readonly PairingCandidate[]): Array<[number, number]> {
  return candidates.flatMap((first, i) =>
    candidates.slice(i + 1).map((second): [number, number] => [first.id, second.id]),
  );
}

/**
 * The best and the worst candidate by log-prob: the mean per token when every scored candidate has a token
 * count (so length does not decide), else the summed log-prob. null with fewer than two distinct scores.
 */
export function bestWorstPair(candidates: readonly PairingCandidate[]): [number, number] | null {
  const scored = candidates.filter((candidate) => candidate.logp !== null);
  const perToken = scored.every((candidate) => (candidate.tokenCount ?? 0) > 0);
  const score = (c: PairingCandidate) =>
    perToken ? (c.logp as number) / (c.tokenCount as number) : (c.logp as number);
  const sorted = [...scored].sort((x, y) => score(y) - score(x) || x.id - y.id);
  const best = sorted[0];
  const worst = sorted[sorted.length - 1];
  if (!best || !worst || score(best) === score(worst)) return null;
  return [best.id, worst.id];
}

/** mulberry32: a small seeded generator, so a random pairing can be repeated. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` distinct pairs drawn without replacement (Fisher-Yates over all pairs). */
export function randomPairs(candidates: readonly PairingCandidate[], count: number, seed: number) {
  const pairs = allPairs(candidates);
  const random = seededRandom(seed);
  for (let i = pairs.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [pairs[i], pairs[j]] = [pairs[j] as [number, number], pairs[i] as [number, number]];
  }
  return pairs.slice(0, count);
}

/**
 * The `count` pairs whose reward margin |r_i - r_j| is smallest, nearest zero first (ties: lower ids first),
 * so each rating lands where the model is least sure. Every candidate needs a finite reward.
 */
export function uncertaintyPairs(
  candidates: readonly PairingCandidate[],
  rewards: ReadonlyMap<number, number>,
  count: number,
): Array<{ pair: [number, number]; margin: number }> {
  const reward = (id: number): number => {
    const value = rewards.get(id);
    if (value === undefined || !Number.isFinite(value))
      throw new Error(`uncertainty pairing: candidate ${id} has no finite reward (${value})`);
    return value;
  };
  return allPairs(candidates)
    .map((pair) => ({ pair, margin: Math.abs(reward(pair[0]) - reward(pair[1])) }))
    .sort((x, y) => x.margin - y.margin || x.pair[0] - y.pair[0] || x.pair[1] - y.pair[1])
    .slice(0, count);
}

export interface PairingOptions {
  count: number;
  seed: number;
  similarityThreshold: number;
  /** Uncertainty only: each kept candidate's reward (implicit reward, or log-prob for an untuned model). */
  rewards?: ReadonlyMap<number, number>;
}

export function pairCandidates(
  strategy: PairingStrategy,
  candidates: readonly PairingCandidate[],
  options: PairingOptions,
) {
  const { kept, dropped } = dropNearDuplicates(candidates, options.similarityThreshold);
  const pairs =
    strategy === 'all_pairs'
      ? allPairs(kept)
      : strategy === 'best_worst'
        ? [bestWorstPair(kept)].filter((pair): pair is [number, number] => pair !== null)
        : strategy === 'uncertainty'
          ? uncertaintyPairs(kept, options.rewards ?? new Map(), options.count).map((p) => p.pair)
          : randomPairs(kept, options.count, options.seed);
  return { pairs, dropped: dropped.map((candidate) => candidate.id) };
}
