// Picks the next token from one logits row with transformers' warpers, in its order (generation/utils.py
// _get_logits_processor): TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper; then a multinomial draw.
// Arithmetic is float64; ties go to the lowest token id.

export interface WarperSettings {
  /** Logits are divided by it; 0 means greedy. */
  temperature: number;
  /** Keep the tokens scoring at least the k-th best (ties at the k-th all kept); 0 turns it off, 1 is greedy. */
  topK: number;
  /** Keep the smallest top set whose probability reaches topP (at least one token); 1 turns it off. */
  topP: number;
}

export interface SampledToken {
  tokenId: number;
  /** log_softmax(raw logits)[tokenId]: the model's own log-probability, what a candidate's logp sums. */
  logp: number;
  /** Log-probability under the warped distribution actually sampled from (0 for greedy: a point mass). */
  warpedLogp: number;
}

/** The warped distribution: the surviving token ids in ascending order and their probabilities. */
export interface WarpedDistribution {
  tokenIds: Int32Array;
  probs: Float64Array;
}

/** Anything that yields uniform numbers in [0, 1); `Prng` does. */
export interface UniformSource {
  nextFloat(): number;
}

export function validateWarperSettings(settings: WarperSettings): void {
  const { temperature, topK, topP } = settings;
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new Error(`temperature must be a finite number >= 0, got ${temperature}`);
  }
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`topK must be an integer >= 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1], got ${topP}`);
}

export function isGreedy(settings: WarperSettings): boolean {
  return settings.temperature === 0 || settings.topK === 1;
}

/** Index of the largest logit; the lowest index among equals. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i] as number;
    if (Number.isNaN(value)) throw new Error(`logits row has NaN at token ${i}`);
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  if (bestValue === -Infinity) throw new Error(`logits row of ${logits.length} has no finite value`);
  return best;
}

/** log_softmax(logits)[tokenId], computed stably in float64. */
export function logSoftmaxAt(logits: ArrayLike<number>, tokenId: number): number {
  const max = logits[argmax(logits)] as number;
  if (max === Infinity) throw new Error(`logits row has +Infinity at token ${argmax(logits)}`);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return (logits[tokenId] as number) - max - Math.log(sum);
}

/** The k-th largest value (1-based) with a size-k min-heap: O(V log k). */
export function kthLargest(values: ArrayLike<number>, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (size < k) {
      heap[size] = value;
      siftUp(heap, size++);
    } else if (value > (heap[0] as number)) {
      heap[0] = value;
      siftDown(heap, size);
    }
  }
  return heap[0] as number;
}

function siftUp(heap: Float64Array, index: number): void {
  let i = index;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as number) <= (heap[i] as number)) return;
    [heap[parent], heap[i]] = [heap[i] as number, heap[parent] as number];
    i = parent;
  }
}

function siftDown(heap: Float64Array, size: number): void {
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    if (left < size && (heap[left] as number) < (heap[smallest] as number)) smallest = left;
    if (right < size && (heap[right] as number) < (heap[smallest] as number)) smallest = right;
    if (smallest === i) return;
    [heap[smallest], heap[i]] = [heap[i] as number, heap[smallest] as number];
    i = smallest;
  }
}

/** Unnormalised warped probabilities (0 where a warper removed a token) and what sampling needs besides. */
interface Warped {
  scores: Float64Array;
  weights: Float64Array;
  /** log-sum-exp of the raw logits when temperature is 1 (the same exps), else NaN. */
  rawLogSum: number;
}

/** TemperatureLogitsWarper, then exp(score - max score) per token. */
function temperatureWeights(logits: ArrayLike<number>, temperature: number): Warped {
  const scores = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) scores[i] = (logits[i] as number) / temperature;
  const max = scores[argmax(scores)] as number;
  if (max === Infinity) throw new Error(`temperature ${temperature} overflows the logits; use 0 for greedy`);
  const weights = new Float64Array(scores.length);
  let total = 0;
  for (let i = 0; i < scores.length; i++) total += weights[i] = Math.exp((scores[i] as number) - max);
  return { scores, weights, rawLogSum: temperature === 1 ? max + Math.log(total) : NaN };
}

/** TopKLogitsWarper: transformers removes `scores < torch.topk(scores, top_k)[0][..., -1, None]`. */
function applyTopK(scores: Float64Array, weights: Float64Array, k: number): void {
  if (k === 0 || k >= scores.length) return;
  const threshold = kthLargest(scores, k);
  for (let i = 0; i < scores.length; i++) if ((scores[i] as number) < threshold) weights[i] = 0;
}

/**
 * TopPLogitsWarper: sort ascending, remove tokens while the cumulative probability (including the token)
 * is <= 1 - topP, and never the most likely one. Only tokens of probability >= (1 - topP) / (2V) are sorted:
 * the rest weigh < (1 - topP) / 2 together, so transformers removes them all anyway.
 */
function applyTopP(
  scores: Float64Array,
  weights: Float64Array,
  topP: number,
  vocabSize = weights.length,
): void {
  let total = 0;
  for (const w of weights) total += w;
  const floor = (total * (1 - topP)) / (2 * vocabSize);
  let cumulative = 0;
  const candidateScores: number[] = [];
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (w >= floor && w > 0) candidateScores.push(scores[i] as number);
    else {
      cumulative += w;
      weights[i] = 0;
    }
  }
  const sorted = Float64Array.from(candidateScores).sort();
  const removed = countRemoved(sorted, cumulative, total * (1 - topP));
  if (removed > 0) removeBelow(scores, weights, sorted, removed);
}

/** How many of the ascending `sorted` scores top-p removes, given the mass already below them. */
function countRemoved(sorted: Float64Array, massBelow: number, limit: number): number {
  const max = sorted[sorted.length - 1] as number;
  let cumulative = massBelow;
  let removed = 0;
  while (removed < sorted.length - 1) {
    cumulative += Math.exp((sorted[removed] as number) - max);
    if (cumulative > limit) break;
    removed++;
  }
  return removed;
}

/**
 * Zeroes the `removed` lowest-scoring tokens. Within a tie at the edge, transformers' order (score ascending,
 * here the higher id first) decides, so the lowest ids of the tied group survive.
 */
function removeBelow(
  scores: Float64Array,
  weights: Float64Array,
  sorted: Float64Array,
  removed: number,
): void {
  const edge = sorted[removed] as number;
  let groupStart = removed;
  while (groupStart > 0 && sorted[groupStart - 1] === edge) groupStart--;
  let groupEnd = removed;
  while (groupEnd < sorted.length && sorted[groupEnd] === edge) groupEnd++;
  let keepAtEdge = groupEnd - removed;
  for (let i = 0; i < scores.length; i++) {
    if ((weights[i] as number) === 0) continue;
    const score = scores[i] as number;
    if (score < edge || (score === edge && keepAtEdge-- <= 0)) weights[i] = 0;
  }
}

function warp(logits: ArrayLike<number>, settings: WarperSettings): Warped {
  const warped = temperatureWeights(logits, settings.temperature);
  applyTopK(warped.scores, warped.weights, settings.topK);
  if (settings.topP < 1) applyTopP(warped.scores, warped.weights, settings.topP);
  return warped;
}

/** The distribution `sampleToken` draws from when not greedy. */
export function warpedDistribution(logits: ArrayLike<number>, settings: WarperSettings): WarpedDistribution {
  validateWarperSettings(settings);
  if (settings.temperature === 0)
    throw new Error('temperature 0 is greedy: there is no distribution to warp');
  const { weights } = warp(logits, settings);
  let kept = 0;
  let total = 0;
  for (const w of weights) {
    if (w > 0) kept++;
    total += w;
  }
  const tokenIds = new Int32Array(kept);
  const probs = new Float64Array(kept);
  let j = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (w > 0) {
      tokenIds[j] = i;
      probs[j++] = w / total;
    }
  }
  return { tokenIds, probs };
}

/** Inverse-CDF draw over the surviving tokens in id order; the last one absorbs rounding. */
function draw(weights: Float64Array, total: number, u: number): number {
  const target = u * total;
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (w === 0) continue;
    cumulative += w;
    if (target < cumulative) return i;
    last = i;
  }
  return last;
}

/**
 * The same draw as `warp` + `draw` when top-k is on, over the k (or more, with ties) surviving tokens only:
 * they are collected in id order, so every sum runs over the same non-zero terms in the same order and the
 * result is identical, without warping the whole vocabulary (49k tokens for SmolLM2) for every row.
 */
function sampleTopK(logits: ArrayLike<number>, settings: WarperSettings, u: number): SampledToken {
  const { temperature, topK, topP } = settings;
  const vocab = logits.length;
  let scores: ArrayLike<number> = logits;
  if (temperature !== 1) {
    const divided = new Float64Array(vocab);
    for (let i = 0; i < vocab; i++) divided[i] = (logits[i] as number) / temperature;
    scores = divided;
  }
  const threshold = kthLargest(scores, topK);
  let count = 0;
  for (let i = 0; i < vocab; i++) if ((scores[i] as number) >= threshold) count++;
  const ids = new Int32Array(count);
  const kept = new Float64Array(count);
  for (let i = 0, j = 0; i < vocab; i++) {
    const score = scores[i] as number;
    if (score >= threshold) [ids[j], kept[j++]] = [i, score];
  }
  const max = kept[argmax(kept)] as number;
  if (max === Infinity) throw new Error(`temperature ${temperature} overflows the logits; use 0 for greedy`);
  const weights = kept.map((score) => Math.exp(score - max));
  if (topP < 1) applyTopP(kept, weights, topP, vocab);
  let total = 0;
  for (const w of weights) total += w;
  const j = draw(weights, total, u);
  const tokenId = ids[j] as number;
  let logp: number;
  if (temperature === 1) {
    let rawTotal = 0;
    for (let i = 0; i < vocab; i++) rawTotal += Math.exp((logits[i] as number) - max);
    logp = (logits[tokenId] as number) - (max + Math.log(rawTotal));
  } else logp = logSoftmaxAt(logits, tokenId);
  return { tokenId, logp, warpedLogp: Math.log((weights[j] as number) / total) };
}

/** One next token: greedy argmax when temperature is 0 or topK is 1, else a draw from the warped distribution. */
export function sampleToken(
  logits: ArrayLike<number>,
  settings: WarperSettings,
  rng: UniformSource,
): SampledToken {
  validateWarperSettings(settings);
  if (isGreedy(settings)) {
    const tokenId = argmax(logits);
    return { tokenId, logp: logSoftmaxAt(logits, tokenId), warpedLogp: 0 };
  }
  const u = rng.nextFloat();
  if (settings.topK > 0 && settings.topK < logits.length) return sampleTopK(logits, settings, u);
  return sampleWholeVocabulary(logits, settings, u);
}

/** The draw for uniform `u`, warping every token (top-p alone needs them all; the top-k path's reference). */
export function sampleWholeVocabulary(
  logits: ArrayLike<number>,
  settings: WarperSettings,
  u: number,
): SampledToken {
  const { weights, rawLogSum } = warp(logits, settings);
  let total = 0;
  for (const w of weights) total += w;
  const tokenId = draw(weights, total, u);
  const logp = Number.isNaN(rawLogSum)
    ? logSoftmaxAt(logits, tokenId)
    : (logits[tokenId] as number) - rawLogSum;
  return { tokenId, logp, warpedLogp: Math.log((weights[tokenId] as number) / total) };
}
