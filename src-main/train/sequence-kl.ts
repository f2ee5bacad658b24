// The sequence-level KL(tuned || base) of a tuned version, estimated on samples drawn from it: the mean over
// samples y ~ tuned(.|x) of log p_tuned(y|x) - log p_base(y|x), each a sum over the sampled tokens (the
// quantity the DPO paper's reward-vs-KL frontier, fig. 2, puts on its x axis).
import { type Checkpoint, type LoraWeights } from '../models/index';
import type { DeviceRequest } from '../runtime/index';
import type { PairExample } from './collate';
import { openGraph } from './graph-session';
import { headChunksFor } from './memory-plan';
import { buildCompletionScoringGraph, scorePairs } from './sequence-logps';

/** One sample: its prompt's token ids and the sampled completion's (what was scored is prompt + completion). */
export interface KlSample {
  prompt: number[];
  completion: number[];
}

export interface KlEstimate {
  /** Mean over samples of the summed log-ratio, in nats. */
  kl: number;
  /** Standard error of that mean (sample standard deviation / sqrt(n)); 0 with fewer than 2 samples. */
  stderr: number;
  n: number;
}

/** The estimate from per-sample sums under the tuned and the base model (same order). */
export function klEstimate(tuned: readonly number[], base: readonly number[]): KlEstimate {
  if (tuned.length !== base.length) throw new Error('klEstimate: tuned and base must score the same samples');
  const n = tuned.length;
  if (n === 0) throw new Error('klEstimate: there are no samples');
  const diffs = tuned.map((t, i) => t - (base[i] as number));
  const kl = diffs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? diffs.reduce((a, d) => a + (d - kl) ** 2, 0) / (n - 1) : 0;
  return { kl, stderr: Math.sqrt(variance / n), n };
}

/**
 * Summed completion log-probs of every sample under `model` (with `lora` applied when given). Two samples of
 * one prompt share a `[chosen; rejected]` row pair; a sample left alone is paired with an empty completion.
 */
export async function sampleLogps(
  model: Pick<Checkpoint, 'config' | 'weights'>,
  samples: readonly KlSample[],
  options: {
    lora?: ReadonlyMap<string, LoraWeights>;
    device?: DeviceRequest;
    padTokenId?: number;
    batchSize?: number;
  } = {},
): Promise<number[]> {
  const packed: { example: PairExample; slots: [number, number | null] }[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as KlSample;
    const next = samples[i + 1];
    const shared = next !== undefined && next.prompt.join(',') === s.prompt.join(',');
    packed.push({
      example: { prompt: s.prompt, chosen: s.completion, rejected: shared ? next.completion : [] },
      slots: [i, shared ? i + 1 : null],
    });
    if (shared) i++;
  }
  const batchSize = options.batchSize ?? 8;
  const longest = packed.reduce(
    (m, { example: e }) => Math.max(m, e.prompt.length + Math.max(e.chosen.length, e.rejected.length)),
    1,
  );
  const headChunks = headChunksFor(model.config.vocabSize, 2 * batchSize * longest);
  const graph = buildCompletionScoringGraph(model.config, model.weights, {
    headChunks,
    ...(options.lora ? { lora: options.lora } : {}),
  });
  const opened = await openGraph(graph, 'kl-estimate', { device: options.device ?? 'auto' });
  try {
    const scored = await scorePairs(
      opened.session,
      packed.map((p) => p.example),
      { padTokenId: options.padTokenId ?? 0, batchSize, headChunks },
    );
    const out = new Array<number>(samples.length);
    scored.forEach((s, j) => {
      const [first, second] = (packed[j] as (typeof packed)[number]).slots;
      out[first] = s.chosenLogp;
      if (second !== null) out[second] = s.rejectedLogp;
    });
    return out;
  } finally {
    await opened.close();
  }
}

/** KL(tuned || base) on samples of the tuned model, where tuned = base + `lora`. */
export async function sequenceKl(
  base: Pick<Checkpoint, 'config' | 'weights'>,
  lora: ReadonlyMap<string, LoraWeights>,
  samples: readonly KlSample[],
  options: { device?: DeviceRequest; padTokenId?: number; batchSize?: number } = {},
): Promise<KlEstimate & { tuned: number[]; base: number[] }> {
  const tuned = await sampleLogps(base, samples, { ...options, lora });
  const reference = await sampleLogps(base, samples, options);
  return { ...klEstimate(tuned, reference), tuned, base: reference };
}
