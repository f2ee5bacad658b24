// Sequence log-probs of preference pairs: log p(completion | prompt) = sum over completion tokens of
// log p(token | everything before it), read from the scoring graph's token_logprobs and summed in float64.
import type { EngineSession } from '../runtime/index';
import { collatePairs, type CollateOptions, type PairExample } from './collate';
import { i64 } from './graph-session';

export interface PairLogps {
  chosenLogp: number;
  rejectedLogp: number;
  chosenTokens: number;
  rejectedTokens: number;
}

/**
 * Scores `examples` in order with a session over buildScoringGraph (inputs input_ids, attention_mask,
 * targets; output token_logprobs), `batchSize` pairs (2 x batchSize sequences) per run.
 */
export async function scorePairs(
  session: EngineSession,
  examples: readonly PairExample[],
  options: CollateOptions & { batchSize?: number } = {},
): Promise<PairLogps[]> {
  const size = options.batchSize ?? 8;
  const out: PairLogps[] = [];
  for (let start = 0; start < examples.length; start += size) {
    const batch = collatePairs(examples.slice(start, start + size), options);
    const [rows, width] = batch.dims; // (2B, T)
    const result = await session.run(
      {
        input_ids: i64(batch.inputIds, batch.dims),
        attention_mask: i64(batch.attentionMask, batch.dims),
        targets: i64(batch.targets, batch.dims),
      },
      ['token_logprobs'],
    );
    const logps = result.token_logprobs?.data as Float32Array; // (2B, T)
    const sums = Array.from({ length: rows }, (_, r) => {
      let sum = 0;
      for (let t = 0; t < width; t++)
        sum += (logps[r * width + t] as number) * (batch.completionMask[r * width + t] as number);
      return sum;
    });
    for (let i = 0; i < batch.pairs; i++) {
      out.push({
        chosenLogp: sums[i] as number,
        rejectedLogp: sums[batch.pairs + i] as number,
        chosenTokens: batch.completionTokens[i] as number,
        rejectedTokens: batch.completionTokens[batch.pairs + i] as number,
      });
    }
  }
  return out;
}
