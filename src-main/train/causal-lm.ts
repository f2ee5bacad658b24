// Full-parameter causal-LM training (pretraining / SFT): every weight of the transformer is trainable, the
// loss is the mean cross-entropy of the next token over the positions a mask selects, and one graph does
// forward, backward, clipping and the AdamW update (buildTrainStep). Used to build the embedded tiny model.
import {
  buildTrainStep,
  div,
  Graph,
  mul,
  neg,
  reduceSum,
  tokenLogProbs,
  type OptimizerConfig,
  type StateSlot,
} from '../engine/index';
import { forward, type FloatTensor, type ModelConfig } from '../models/index';
import type { Feeds } from '../runtime/index';
import { f32, i64, openGraph, type OpenedGraph } from './graph-session';

/** One row: token ids and how many leading tokens are prompt (no loss on predicting them). */
export interface LmRow {
  ids: readonly number[];
  promptLength: number;
}

/** A right-padded batch: inputs are ids[:-1], targets ids[1:], the loss mask covers the non-prompt targets. */
export interface LmBatch {
  dims: [number, number];
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  targets: BigInt64Array;
  lossMask: Float32Array;
  /** Tokens that carry loss. */
  lossTokens: number;
}

export function collateLmRows(rows: readonly LmRow[], padTokenId: number): LmBatch {
  if (rows.length === 0) throw new Error('collateLmRows: no rows');
  const seq = Math.max(...rows.map((r) => r.ids.length)) - 1;
  if (seq < 1) throw new Error('collateLmRows: every row needs at least two tokens');
  const n = rows.length * seq;
  const batch: LmBatch = {
    dims: [rows.length, seq],
    inputIds: new BigInt64Array(n).fill(BigInt(padTokenId)),
    attentionMask: new BigInt64Array(n),
    targets: new BigInt64Array(n).fill(BigInt(padTokenId)),
    lossMask: new Float32Array(n),
    lossTokens: 0,
  };
  rows.forEach((row, b) => {
    if (row.promptLength < 1 || row.promptLength >= row.ids.length)
      throw new Error(`collateLmRows: row ${b} has prompt length ${row.promptLength} of ${row.ids.length}`);
    for (let t = 0; t + 1 < row.ids.length; t++) {
      const at = b * seq + t;
      batch.inputIds[at] = BigInt(row.ids[t] as number);
      batch.attentionMask[at] = 1n;
      batch.targets[at] = BigInt(row.ids[t + 1] as number);
      // target t+1 is an answer token when t+1 >= promptLength
      if (t + 1 >= row.promptLength) {
        batch.lossMask[at] = 1;
        batch.lossTokens++;
      }
    }
  });
  return batch;
}

/** The graph: mean -log p(target) over masked positions, every weight trainable, AdamW update appended. */
export function buildLmTrainStep(
  config: ModelConfig,
  weights: ReadonlyMap<string, FloatTensor>,
  optimizer: OptimizerConfig,
  maxGradNorm: number,
): { graph: Graph; slots: StateSlot[] } {
  const g = new Graph();
  const inputIds = g.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'seq']);
  const targets = g.input('targets', 'int64', ['batch', 'seq']);
  const lossMask = g.input('loss_mask', 'float32', ['batch', 'seq']);
  const { logits } = forward(config, weights, { inputIds, attentionMask, trainable: true }); // (B, T, V)
  const logps = tokenLogProbs(logits, targets); // (B, T)
  const loss = neg(div(reduceSum(mul(logps, lossMask)), reduceSum(lossMask))); // ()
  const step = buildTrainStep({ loss, optimizer, maxGradNorm });
  return { graph: g, slots: step.slots };
}

export interface LmStepResult {
  loss: number;
  gradNorm: number;
}

/** Holds the weights and optimizer state between steps of one open train-step session. */
export class LmTrainer {
  private constructor(
    private readonly opened: OpenedGraph,
    private readonly slots: readonly StateSlot[],
    private readonly values: Map<string, Float32Array>,
  ) {}

  /**
   * Opens the step graph on the CPU with `threads` intra-op threads; only one thread makes every float sum
   * come out the same from run to run (several may split a reduction differently).
   */
  static async open(
    config: ModelConfig,
    weights: ReadonlyMap<string, FloatTensor>,
    options: { optimizer: OptimizerConfig; maxGradNorm: number; threads: number },
  ): Promise<LmTrainer> {
    const built = buildLmTrainStep(config, weights, options.optimizer, options.maxGradNorm);
    const opened = await openGraph(built.graph, 'lm-train-step', {
      device: 'cpu',
      intraOpThreads: options.threads,
    });
    const values = new Map<string, Float32Array>();
    for (const s of built.slots) {
      const size = s.shape.reduce<number>((a, d) => a * (d as number), 1);
      values.set(
        s.input,
        s.init === 'param' ? Float32Array.from(weights.get(s.input)!.data) : new Float32Array(size),
      );
    }
    return new LmTrainer(opened, built.slots, values);
  }

  async step(batch: LmBatch, lr: number): Promise<LmStepResult> {
    const feeds: Feeds = {
      lr: f32(Float32Array.of(lr), []),
      input_ids: i64(batch.inputIds, batch.dims),
      attention_mask: i64(batch.attentionMask, batch.dims),
      targets: i64(batch.targets, batch.dims),
      loss_mask: f32(batch.lossMask, batch.dims),
    };
    for (const s of this.slots) feeds[s.input] = f32(this.values.get(s.input)!, s.shape as number[]);
    const out = await this.opened.session.run(feeds);
    const scalar = (name: string): number => (out[name]?.data as Float32Array)[0] as number;
    const loss = scalar('loss');
    if (!Number.isFinite(loss))
      throw new Error(`causal-lm: the loss became ${loss}; lower the learning rate`);
    for (const s of this.slots) this.values.set(s.input, out[s.output]?.data as Float32Array);
    return { loss, gradNorm: scalar('grad_norm') };
  }

  /** The current weights by canonical name. */
  weights(shapes: ReadonlyMap<string, FloatTensor>): Map<string, FloatTensor> {
    return new Map([...shapes].map(([name, t]) => [name, { dims: t.dims, data: this.values.get(name)! }]));
  }

  async close(): Promise<void> {
    await this.opened.close();
  }
}
