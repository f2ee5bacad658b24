// The sessions of a DPO run and the tensors they pass around: one optimizer step (fused, or micro-batch
// gradients accumulated then one update run), evaluation, and the values a checkpoint stores.
import type { OptimizerConfig, StateSlot } from '../engine/index';
import type { Device, Feeds, SessionOptions } from '../runtime/index';
import type { CheckpointTensor } from './checkpoint';
import { collatePairs, type CollateOptions, type PairExample } from './collate';
import {
  buildEvalGraph,
  buildFusedStep,
  buildGradGraph,
  buildUpdateGraph,
  type DpoGraphSpec,
} from './dpo-graph';
import { f32, i64, openGraph, type OpenedGraph } from './graph-session';
import { headFeeds, headTokens } from './head-tokens';
import type { LoraState } from './lora-modules';
import { combineParts, OBJECTIVES, type Objective } from './objectives';
import type { TrainArgs } from './train-args';

/** The optimizer settings as graphs take them (TrainingArguments' adam betas and eps; SGD without momentum). */
export function optimizerConfig(args: TrainArgs): OptimizerConfig {
  return args.optimizer === 'adamw'
    ? { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: args.weightDecay }
    : { kind: 'sgd', momentum: 0, weightDecay: args.weightDecay };
}

/**
 * Feeds of one (micro-)batch: the rows, the row selectors, and what the objective takes besides: the reference
 * log-probs [chosen, rejected], KTO's labels, DPO's pair weights.
 */
function batchFeeds(
  batch: ReturnType<typeof collatePairs>,
  refs: readonly (readonly number[])[] | undefined,
  labels: readonly boolean[] | undefined,
  weights: readonly number[] | undefined,
  headChunks: number,
): Feeds {
  const b = batch.pairs;
  return {
    ...(weights ? { pair_weights: f32(Float32Array.from(weights), [b]) } : {}), // (B)
    ...(labels ? { labels: f32(Float32Array.from(labels, Number), [b]) } : {}), // (B)
    ...(refs
      ? {
          ref_chosen: f32(
            Float32Array.from(refs, (r) => r[0] ?? 0),
            [b],
          ), // (B)
          ref_rejected: f32(
            Float32Array.from(refs, (r) => r[1] ?? 0),
            [b],
          ),
          ref_from_policy: f32(
            Float32Array.from(refs, (r) => (r.length === 0 ? 1 : 0)),
            [b],
          ), // (B) 1: not scored yet, the first step takes the policy's own (its adapter is the reference's)
        }
      : {}),
    input_ids: i64(batch.inputIds, batch.dims), // (2B, T)
    attention_mask: i64(batch.attentionMask, batch.dims),
    ...headFeeds(headTokens(batch, headChunks), batch), // the completion tokens, (M, K)
    chosen_rows: i64(
      BigInt64Array.from({ length: b }, (_, i) => BigInt(i)),
      [b],
    ), // (B)
    rejected_rows: i64(
      BigInt64Array.from({ length: b }, (_, i) => BigInt(b + i)),
      [b],
    ),
  };
}

const scalarOf = (out: Feeds, name: string): number => (out[name]?.data as Float32Array)[0] as number;

/** The loss and the objective's metric outputs of one run, as numbers. */
function valuesOf(objective: Objective, out: Feeds): Record<string, number> {
  const values: Record<string, number> = { loss: scalarOf(out, 'loss') };
  for (const name of Object.keys(objective.metrics)) values[name] = scalarOf(out, name);
  return values;
}

export interface StepResult {
  /** TRL's names: loss, rewards/..., logps/... (means over the step's pairs). */
  metrics: Record<string, number>;
  gradNorm: number;
  tokens: number;
  /** The updated LoRA tensors and optimizer state, not yet adopted (checked for NaN first). */
  next: Map<string, Float32Array>;
  /**
   * Reference log-probs this step scored itself (rows whose reference was not given: the first step of a
   * fresh run), by example index: [chosen, rejected], each with its completion tokens.
   */
  scoredReferences: Map<number, [ScoredLogp, ScoredLogp]>;
}

export interface ScoredLogp {
  logp: number;
  tokens: number;
}

/** A KTO example's label; an example without one cannot train KTO. */
function desirableOf(example: PairExample, row: number): boolean {
  if (example.desirable === undefined)
    throw new Error(`KTO: example ${row + 1} has no label (desirable or undesirable)`);
  return example.desirable;
}

export class StepRunner {
  private constructor(
    private readonly sessions: { step: OpenedGraph; grad?: OpenedGraph; eval?: OpenedGraph },
    readonly slots: readonly StateSlot[],
    private readonly data: {
      examples: readonly PairExample[];
      /**
       * Reference log-probs [chosen, rejected] per example; absent for an objective without a reference. An
       * empty entry is scored by the step that first trains on it, which must be the run's first step (the
       * adapter still the reference's); the runner fills it in then.
       */
      refs?: number[][];
      collate: CollateOptions;
      pairWeights?: boolean;
      headChunks?: number;
    },
    private readonly objective: Objective,
    private readonly microSize: number,
    /** LoRA tensors (slots with init 'param') and optimizer state (the rest), by slot input name. */
    readonly values: Map<string, Float32Array>,
  ) {}

  /** Opens the step graph(s) and, when `withEval`, the evaluation graph; `spec.state` is the starting adapter. */
  static async open(
    spec: DpoGraphSpec,
    args: TrainArgs,
    data: StepRunner['data'],
    options: {
      withEval: boolean;
      optimizerState: Map<string, Float32Array>;
      /** onnxruntime settings of the sessions besides the device (graph optimization level). */
      session?: Omit<SessionOptions, 'device'>;
    },
  ): Promise<StepRunner> {
    const optimizer = optimizerConfig(args);
    const device = { ...options.session, device: args.device };
    const fused = args.gradAccum === 1;
    const built = fused
      ? buildFusedStep(spec, optimizer, args.maxGradNorm)
      : buildUpdateGraph(spec, optimizer, args.maxGradNorm);
    const opened: OpenedGraph[] = [];
    try {
      const open = async (graph: Parameters<typeof openGraph>[0], name: string) => {
        opened.push(await openGraph(graph, name, device));
        return opened.at(-1) as OpenedGraph;
      };
      const sessions = {
        step: await open(built.graph, fused ? 'train-step' : 'update'),
        ...(fused ? {} : { grad: await open(buildGradGraph(spec), 'grad') }),
        ...(options.withEval ? { eval: await open(buildEvalGraph(spec), 'eval') } : {}),
      };
      const values = new Map<string, Float32Array>();
      for (const s of built.step.slots) {
        const size = s.shape.reduce<number>((a, d) => a * (d as number), 1);
        const start = s.init === 'param' ? spec.state.get(s.input) : options.optimizerState.get(s.input);
        values.set(s.input, start ?? new Float32Array(size));
      }
      return new StepRunner(
        sessions,
        built.step.slots,
        data,
        OBJECTIVES[spec.method],
        args.batchSize / args.gradAccum,
        values,
      );
    } catch (error) {
      for (const o of opened) await o.close();
      throw error;
    }
  }

  get device(): Device {
    return this.sessions.step.session.device;
  }

  /** The step session (its device, and why it is not the one asked for). */
  get session(): OpenedGraph['session'] {
    return this.sessions.step.session;
  }

  private feeds(
    names: Iterable<string>,
    suffix = '',
    from: ReadonlyMap<string, Float32Array> = this.values,
  ): Feeds {
    const out: Feeds = {};
    for (const name of names) {
      const slot = this.slots.find((s) => s.input === name) as StateSlot;
      out[`${name}${suffix}`] = f32(from.get(name) as Float32Array, slot.shape as number[]);
    }
    return out;
  }

  private get paramNames(): string[] {
    return this.slots.filter((s) => s.init === 'param').map((s) => s.input);
  }

  /** Pair weights of `rows` when the run uses them (absent weights count 1). */
  private weightsOf(rows: readonly number[]): number[] | undefined {
    if (!this.data.pairWeights) return undefined;
    return rows.map((r) => this.data.examples[r]?.weight ?? 1);
  }

  /**
   * A micro-batch's share of the step: its pairs' share, or with pair weights its weights' share, so the
   * weighted sum of micro-batch mean losses is the loss of the whole step (Σ w_i L_i / Σ w_i).
   */
  private share(micro: readonly number[], rows: readonly number[]): number {
    const weights = this.weightsOf(rows);
    if (!weights) return micro.length / rows.length;
    const total = weights.reduce((a, w) => a + w, 0);
    const part = (this.weightsOf(micro) as number[]).reduce((a, w) => a + w, 0);
    return total > 0 ? part / total : micro.length / rows.length;
  }

  private batch(rows: readonly number[], allowPending = false) {
    const { examples, refs, collate } = this.data;
    if (refs && !allowPending) {
      const pending = rows.find((r) => refs[r]?.length === 0);
      if (pending !== undefined)
        throw new Error(
          `pair ${pending + 1} has no reference log-probs (only the first step scores its own)`,
        );
    }
    const picked = rows.map((r) => examples[r] as PairExample);
    const batch = collatePairs(picked, collate);
    const labels = this.objective.labels
      ? picked.map((e, i) => desirableOf(e, rows[i] as number))
      : undefined;
    return {
      batch,
      feeds: batchFeeds(
        batch,
        refs && rows.map((r) => refs[r] as number[]),
        labels,
        this.weightsOf(rows),
        this.data.headChunks ?? 1,
      ),
    };
  }

  /**
   * The reference log-probs a (micro-)batch scored for its rows that had none: its own sequence log-probs,
   * the policy's before any update (= the reference's: the first step of a fresh run).
   */
  private scored(
    rows: readonly number[],
    batch: ReturnType<typeof collatePairs>,
    out: Feeds,
    into: StepResult['scoredReferences'],
  ): void {
    const refs = this.data.refs;
    if (!refs) return;
    const logps = out.sequence_logps?.data as Float32Array; // (2B)
    rows.forEach((r, j) => {
      if (refs[r]?.length !== 0) return;
      const k = rows.length + j;
      const entry: [ScoredLogp, ScoredLogp] = [
        { logp: logps[j] as number, tokens: batch.completionTokens[j] as number },
        { logp: logps[k] as number, tokens: batch.completionTokens[k] as number },
      ];
      into.set(r, entry);
    });
  }

  /**
   * One optimizer step on `rows` (indices into the examples) at learning rate `lr`. Rows without reference
   * log-probs take the policy's own; only the first step of a run (`first`) may have them.
   */
  async step(rows: readonly number[], lr: number, first = false): Promise<StepResult> {
    const lrFeed = { lr: f32(Float32Array.of(lr), []) };
    let metrics: Record<string, number>;
    let tokens = 0;
    let out: Feeds;
    const scoredReferences: StepResult['scoredReferences'] = new Map();
    if (!this.sessions.grad) {
      const { batch, feeds } = this.batch(rows, first);
      tokens = batch.tokens;
      out = await this.sessions.step.session.run({ ...this.feeds(this.values.keys()), ...lrFeed, ...feeds });
      this.scored(rows, batch, out, scoredReferences);
      metrics = combineParts(this.objective, [
        { values: valuesOf(this.objective, out), lossShare: 1, countShare: 1 },
      ]);
    } else {
      // Accumulate: each micro-batch's mean-loss gradient weighted by its share of the step's pairs, so the
      // sum is the gradient of the mean loss over all of them.
      const grads = new Map(
        this.paramNames.map((k) => [k, new Float32Array((this.values.get(k) as Float32Array).length)]),
      );
      const parts = [];
      for (let m = 0; m < rows.length; m += this.microSize) {
        const micro = rows.slice(m, m + this.microSize);
        const { batch, feeds } = this.batch(micro, first);
        tokens += batch.tokens;
        const g = await this.sessions.grad.session.run({ ...this.feeds(this.paramNames), ...feeds });
        this.scored(micro, batch, g, scoredReferences);
        const share = this.share(micro, rows);
        for (const [k, acc] of grads) {
          const d = g[`${k}.grad`]?.data as Float32Array;
          for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + share * (d[i] as number);
        }
        // metrics other than the loss: plain means over the pairs (or sums, as the objective says)
        const countShare = micro.length / rows.length;
        parts.push({ values: valuesOf(this.objective, g), lossShare: share, countShare });
      }
      metrics = combineParts(this.objective, parts);
      out = await this.sessions.step.session.run({
        ...this.feeds(this.values.keys()),
        ...lrFeed,
        ...this.feeds(grads.keys(), '.grad', grads),
      });
    }
    const next = new Map(this.slots.map((s) => [s.input, out[s.output]?.data as Float32Array]));
    return { metrics, gradNorm: scalarOf(out, 'grad_norm'), tokens, next, scoredReferences };
  }

  /** Loss and metrics over `rows` with the current adapter, `eval_`-prefixed (means over the pairs). */
  async evaluate(rows: readonly number[]): Promise<Record<string, number>> {
    const session = this.sessions.eval;
    if (!session) throw new Error('StepRunner: opened without an evaluation graph');
    const parts = [];
    for (let i = 0; i < rows.length; i += this.microSize) {
      const part = rows.slice(i, i + this.microSize);
      const out = await session.session.run({ ...this.feeds(this.paramNames), ...this.batch(part).feeds });
      parts.push({
        values: valuesOf(this.objective, out),
        lossShare: this.share(part, rows),
        countShare: part.length / rows.length,
      });
    }
    const combined = combineParts(this.objective, parts);
    return Object.fromEntries(Object.entries(combined).map(([k, v]) => [`eval_${k}`, v]));
  }

  /** The LoRA tensors (state) and the optimizer state, as the checkpoint stores them. */
  /** Adopts reference log-probs the first step scored (after the step is kept). */
  adoptReferences(scored: StepResult['scoredReferences']): void {
    for (const [row, [chosen, rejected]] of scored)
      if (this.data.refs) this.data.refs[row] = [chosen.logp, rejected.logp];
  }

  checkpointTensors(): {
    adapter: Record<string, CheckpointTensor>;
    optimizer: Record<string, CheckpointTensor>;
  } {
    const adapter: Record<string, CheckpointTensor> = {};
    const optimizer: Record<string, CheckpointTensor> = {};
    for (const s of this.slots) {
      const tensor: CheckpointTensor = {
        dtype: 'float32',
        shape: [...(s.shape as number[])],
        data: this.values.get(s.input) as Float32Array,
      };
      (s.init === 'param' ? adapter : optimizer)[s.input] = tensor;
    }
    return { adapter, optimizer };
  }

  /** The LoRA tensors only. */
  get state(): LoraState {
    return new Map(this.paramNames.map((k) => [k, this.values.get(k) as Float32Array]));
  }

  async close(): Promise<void> {
    for (const o of Object.values(this.sessions)) await o?.close();
  }
}
