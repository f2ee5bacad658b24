// Where the LM head runs: only at the completion positions of a collated batch, split into a fixed number of
// chunks (the graph is unrolled per chunk; a chunk's length follows the batch). The graph side declares the
// inputs and reads the log-probs; the host side fills them from a PairBatch.
import type { Graph } from '../engine/index';
import { concat, gather, linearTokenLogProbs, reduceSum, reshape, type Tensor } from '../engine/index';
import type { Feeds } from '../runtime/index';
import type { PairBatch } from './collate';
import { f32, i64 } from './graph-session';

/** The completion positions of a batch, padded to chunks x chunkSize slots (padding: position 0, no row). */
export interface HeadTokens {
  chunks: number;
  chunkSize: number;
  /** Flat positions r * T + t into the batch's (2B * T) hidden states, one per slot. */
  positions: BigInt64Array;
  targets: BigInt64Array;
  /** The batch row of each slot, -1 for padding. */
  rows: Int32Array;
}

export function headTokens(
  batch: Pick<PairBatch, 'dims' | 'targets' | 'completionMask'>,
  chunks: number,
): HeadTokens {
  const at: number[] = [];
  batch.completionMask.forEach((m, i) => {
    if (m !== 0) at.push(i);
  });
  const chunkSize = Math.max(1, Math.ceil(at.length / chunks));
  const slots = chunks * chunkSize;
  const tokens: HeadTokens = {
    chunks,
    chunkSize,
    positions: new BigInt64Array(slots),
    targets: new BigInt64Array(slots),
    rows: new Int32Array(slots).fill(-1),
  };
  const width = batch.dims[1];
  at.forEach((p, s) => {
    tokens.positions[s] = BigInt(p);
    tokens.targets[s] = batch.targets[p] as bigint;
    tokens.rows[s] = Math.floor(p / width);
  });
  return tokens;
}

/**
 * Feeds of the head inputs; with the batch, also what the graph sums them with: `token_slots` (rows, seq),
 * each position's slot or chunks * chunkSize (a zero) where it is not a completion token, and
 * `completion_mask` (rows, seq).
 */
export function headFeeds(tokens: HeadTokens, batch?: Pick<PairBatch, 'dims' | 'completionMask'>): Feeds {
  const dims = [tokens.chunks, tokens.chunkSize];
  const feeds: Feeds = {
    token_positions: i64(tokens.positions, dims),
    token_targets: i64(tokens.targets, dims),
  };
  if (batch) {
    const slots = new BigInt64Array(batch.dims[0] * batch.dims[1]).fill(BigInt(tokens.rows.length));
    tokens.rows.forEach((r, s) => {
      if (r >= 0) slots[Number(tokens.positions[s])] = BigInt(s);
    });
    feeds.token_slots = i64(slots, batch.dims);
    feeds.completion_mask = f32(batch.completionMask, batch.dims);
  }
  return feeds;
}

/** Per-row sums of the graph's token_logprobs (chunks, chunkSize), in float64. */
export function sumByRow(tokens: HeadTokens, logps: Float32Array, rowCount: number): number[] {
  const sums = new Array<number>(rowCount).fill(0);
  tokens.rows.forEach((r, s) => {
    if (r >= 0) sums[r] = (sums[r] as number) + (logps[s] as number);
  });
  return sums;
}

/**
 * The head at the fed positions of `hidden` (rows, seq, C): inputs token_positions and token_targets
 * (chunks, chunk) int64; returns the log-probs (chunks, chunk).
 */
export function completionLogps(
  hidden: Tensor,
  head: Tensor,
  chunks: number,
  options: { differentiable: boolean; softcap: number | null },
): Tensor {
  const g = hidden.graph;
  const positions = g.input('token_positions', 'int64', [chunks, 'chunk']); // (M, K)
  const targets = g.input('token_targets', 'int64', [chunks, 'chunk']); // (M, K)
  const flat = reshape(hidden, [-1, hidden.shape[2] as number]); // (rows*seq, C)
  return linearTokenLogProbs(flat, head, positions, targets, options); // (M, K)
}

/**
 * Sequence log-probs (rows) = sum of each row's token log-probs, and completion lengths (rows). The token
 * log-probs go back to their (rows, seq) places (a zero elsewhere) and are summed along each row, so a
 * sequence's sum does not depend on which other sequences share its batch.
 */
export function sequenceSums(g: Graph, logps: Tensor): { sums: Tensor; lengths: Tensor } {
  const slots = g.input('token_slots', 'int64', ['rows', 'seq']); // (2B, T)
  const completionMask = g.input('completion_mask', 'float32', ['rows', 'seq']); // (2B, T)
  const flat = reshape(logps, [-1]); // (M*K)
  const withZero = concat([flat, g.constant(new Float32Array(1), [1])], 0); // (M*K+1)
  const grid = gather(withZero, slots, 0); // (2B, T)
  return { sums: reduceSum(grid, [1]), lengths: reduceSum(completionMask, [1]) };
}
