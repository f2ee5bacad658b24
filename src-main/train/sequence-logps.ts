// Sequence log-probs of preference pairs: log p(completion | prompt) = sum over completion tokens of
// log p(token | everything before it). The scoring graph runs the LM head only at completion tokens, in
// chunks (head-tokens.ts); the token log-probs are summed per sequence in float64.
import { Graph } from '../engine/index';
import { decoder, type LoraWeights, type ModelConfig, type WeightTensor } from '../models/index';
import type { EngineSession } from '../runtime/index';
import { collatePairs, type CollateOptions, type PairExample } from './collate';
import { i64 } from './graph-session';
import { completionLogps, headFeeds, headTokens, sumByRow } from './head-tokens';

export interface PairLogps {
  chosenLogp: number;
  rejectedLogp: number;
  chosenTokens: number;
  rejectedTokens: number;
}

/**
 * The scoring graph: inputs input_ids and attention_mask (rows, seq), token_positions and token_targets
 * (chunks, chunk); output token_logprobs (chunks, chunk). A PEFT adapter, when given, as frozen LoRA branches.
 */
export function buildCompletionScoringGraph(
  config: ModelConfig,
  weights: ReadonlyMap<string, WeightTensor>,
  options: { headChunks: number; lora?: ReadonlyMap<string, LoraWeights> },
): Graph {
  const g = new Graph();
  const inputIds = g.input('input_ids', 'int64', ['rows', 'seq']);
  const attentionMask = g.input('attention_mask', 'int64', ['rows', 'seq']);
  const lora = options.lora
    ? new Map(
        [...options.lora].map(([name, l]) => [
          name,
          {
            a: g.param(`lora.${name}.A`, l.a.data, l.a.dims),
            b: g.param(`lora.${name}.B`, l.b.data, l.b.dims),
            scale: l.scale,
          },
        ]),
      )
    : undefined;
  const { hidden, head } = decoder(config, weights, { inputIds, attentionMask, ...(lora ? { lora } : {}) });
  g.output(
    'token_logprobs',
    completionLogps(hidden, head, options.headChunks, {
      differentiable: false,
      softcap: config.finalLogitSoftcap,
    }),
  );
  return g;
}

/**
 * Scores `examples` in order with a session over buildCompletionScoringGraph built with `headChunks`,
 * `batchSize` pairs (2 x batchSize sequences) per run.
 */
export async function scorePairs(
  session: EngineSession,
  examples: readonly PairExample[],
  options: CollateOptions & { batchSize?: number; headChunks: number },
): Promise<PairLogps[]> {
  const size = options.batchSize ?? 8;
  const out: PairLogps[] = [];
  for (let start = 0; start < examples.length; start += size) {
    const batch = collatePairs(examples.slice(start, start + size), options);
    const rows = batch.dims[0]; // 2B
    const tokens = headTokens(batch, options.headChunks);
    const result = await session.run(
      {
        input_ids: i64(batch.inputIds, batch.dims),
        attention_mask: i64(batch.attentionMask, batch.dims),
        ...headFeeds(tokens),
      },
      ['token_logprobs'],
    );
    const sums = sumByRow(tokens, result.token_logprobs?.data as Float32Array, rows);
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
