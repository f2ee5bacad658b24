// The DPO training graphs: policy = base transformer (frozen initializers) + trainable LoRA pairs, scored on
// a `[chosen; rejected]` batch, summed over completion tokens, into the objective table (DPO, KTO, ORPO)
// with TRL's metrics.
// Three shapes of it: one fused train step (forward, backward, clip, update: buildTrainStep), a gradient
// graph plus an update graph for gradient accumulation, and a loss-and-metrics graph for evaluation.
import {
  add,
  buildTrainStep,
  cast,
  gather,
  grad,
  Graph,
  mul,
  reduceSum,
  stopGradient,
  where,
  type OptimizerConfig,
  type Tensor,
  type TrainStep,
} from '../engine/index';
import { decoder, type WeightTensor, type ModelConfig } from '../models/index';
import { completionLogps, sequenceSums } from './head-tokens';
import { addLoraToGraph, type LoraModule, type LoraState } from './lora-modules';
import { OBJECTIVES, type ObjectiveOptions, type TrainMethod } from './objectives';

export interface DpoGraphSpec {
  config: ModelConfig;
  weights: ReadonlyMap<string, WeightTensor>;
  modules: readonly LoraModule[];
  /** Initial values; the graphs take the current ones as inputs. */
  state: LoraState;
  lora: { r: number; alpha: number };
  /** The objective of the table (objectives.ts) and its settings. */
  method: TrainMethod;
  loss: ObjectiveOptions;
  /** Per-pair weights as an extra input `pair_weights` (B) (dataset_pairs.weight; off by default). */
  pairWeights?: boolean;
  /** Chunks of the LM head over the completion tokens (the memory plan's; default 1). */
  headChunks?: number;
  /** Recompute each layer's activations in the backward pass instead of keeping them. */
  recompute?: boolean;
}

/**
 * Batch inputs: the collated `[chosen; rejected]` rows, the completion tokens where the head runs
 * (head-tokens.ts) and the row selectors; the reference log-probs when the objective has a reference,
 * `labels` when it has labels (KTO), `pair_weights` when the spec asks for them.
 */
export const BATCH_INPUTS = [
  'input_ids',
  'attention_mask',
  'token_positions',
  'token_targets',
  'token_rows',
  'chosen_rows',
  'rejected_rows',
] as const;

interface DpoForward {
  graph: Graph;
  loss: Tensor;
  metrics: Record<string, Tensor>;
  params: Tensor[];
  /** The policy's sequence log-probs (2B). */
  sequenceLogps: Tensor;
}

/**
 * The policy's sequence log-probs in `g`: inputs input_ids and attention_mask (2B, T), the completion tokens
 * where the head runs (token_positions, token_targets, token_rows: head-tokens.ts) and the LoRA params;
 * (2B) sums over completion tokens and (2B) completion lengths. The reference is scored through this same
 * function (buildReferenceGraph), so an unchanged adapter gives its numbers exactly. `differentiable` adds
 * the head's fused gradient and, with spec.recompute, recomputes every layer in the backward pass.
 */
type PolicySpec = Pick<
  DpoGraphSpec,
  'config' | 'weights' | 'modules' | 'state' | 'lora' | 'headChunks' | 'recompute'
>;

function sequenceLogps(
  g: Graph,
  spec: PolicySpec,
  differentiable: boolean,
): { sequenceLogps: Tensor; lengths: Tensor } {
  const inputIds = g.input('input_ids', 'int64', ['rows', 'seq']); // (2B, T)
  const attentionMask = g.input('attention_mask', 'int64', ['rows', 'seq']); // (2B, T)
  const lora = addLoraToGraph(g, spec.modules, spec.state, spec.lora);
  const recompute = differentiable && (spec.recompute ?? false);
  const { hidden, head } = decoder(spec.config, spec.weights, { inputIds, attentionMask, lora, recompute }); // (2B, T, C)
  const chunks = spec.headChunks ?? 1;
  const tokenLogps = completionLogps(hidden, head, chunks, {
    differentiable,
    softcap: spec.config.finalLogitSoftcap,
  }); // (M, K)
  const { sums, lengths } = sequenceSums(g, tokenLogps); // (2B)
  return { sequenceLogps: sums, lengths };
}

function dpoForward(spec: DpoGraphSpec, differentiable: boolean): DpoForward {
  const g = new Graph();
  const { sequenceLogps: seqLogps, lengths } = sequenceLogps(g, spec, differentiable);
  const chosenRows = g.input('chosen_rows', 'int64', ['pairs']); // (B) = 0..B-1
  const rejectedRows = g.input('rejected_rows', 'int64', ['pairs']); // (B) = B..2B-1
  const objective = OBJECTIVES[spec.method];
  const policy = [gather(seqLogps, chosenRows, 0), gather(seqLogps, rejectedRows, 0)] as const; // (B) each
  // ref_from_policy (B), 1 where a pair's reference is the policy itself: the first step of a fresh run,
  // where the adapter is still the reference's (a constant there: stopGradient, as a fed reference is).
  const fromPolicy = objective.reference
    ? cast(g.input('ref_from_policy', 'float32', ['pairs']), 'bool')
    : undefined; // (B)
  const reference = fromPolicy
    ? ([
        where(fromPolicy, stopGradient(policy[0]), g.input('ref_chosen', 'float32', ['pairs'])),
        where(fromPolicy, stopGradient(policy[1]), g.input('ref_rejected', 'float32', ['pairs'])),
      ] as const)
    : undefined; // (B) each
  const labels = objective.labels ? g.input('labels', 'float32', ['pairs']) : undefined; // (B)
  const weights = spec.pairWeights ? g.input('pair_weights', 'float32', ['pairs']) : undefined; // (B)
  const { loss, metrics } = objective.build(
    {
      policy,
      ...(reference ? { reference } : {}),
      lengths: [gather(lengths, chosenRows, 0), gather(lengths, rejectedRows, 0)],
      ...(labels ? { labels } : {}),
      ...(weights ? { weights } : {}),
    },
    spec.loss,
  );
  return { graph: g, loss, metrics, params: g.trainableParams(), sequenceLogps: seqLogps };
}

/** One graph: inputs params, optimizer state, lr and the batch; outputs `<slot>.next`, loss, grad_norm, metrics. */
export function buildFusedStep(
  spec: DpoGraphSpec,
  optimizer: OptimizerConfig,
  maxGradNorm: number,
): { graph: Graph; step: TrainStep } {
  const f = dpoForward(spec, true);
  const step = buildTrainStep({
    loss: f.loss,
    optimizer,
    ...(maxGradNorm > 0 ? { maxGradNorm } : {}),
    metrics: f.metrics,
  });
  f.graph.output('sequence_logps', f.sequenceLogps); // the first step's reference, where it scores its own
  return { graph: f.graph, step };
}

/** Inputs params and the batch; outputs loss, the metrics and `<param>.grad` for every LoRA tensor. */
export function buildGradGraph(spec: DpoGraphSpec): Graph {
  const f = dpoForward(spec, true);
  const grads = grad(f.loss, f.params);
  f.params.forEach((p, i) => f.graph.output(`${p.name}.grad`, grads[i] as Tensor));
  f.graph.output('loss', f.loss);
  for (const [name, metric] of Object.entries(f.metrics)) f.graph.output(name, metric);
  f.graph.output('sequence_logps', f.sequenceLogps);
  return f.graph;
}

/** Loss and metrics only (evaluation, and the numbers of a step without updating). */
export function buildEvalGraph(spec: DpoGraphSpec): Graph {
  const f = dpoForward(spec, false);
  f.graph.output('loss', f.loss);
  for (const [name, metric] of Object.entries(f.metrics)) f.graph.output(name, metric);
  return f.graph;
}

/**
 * The reference pass: the policy's own path from the batch to `sequence_logps` (2B), fed with the reference's
 * LoRA tensors (the starting adapter, or B = 0 for the base model: x A B = 0 exactly, so the base's numbers).
 */
export function buildReferenceGraph(spec: PolicySpec): Graph {
  const g = new Graph();
  g.output('sequence_logps', sequenceLogps(g, spec, false).sequenceLogps);
  return g;
}

/**
 * The optimizer update for accumulated gradients: inputs params, `<param>.grad`, optimizer state and lr.
 * It reuses buildTrainStep on the surrogate loss sum(p * g), whose gradient with respect to p is exactly g,
 * so clipping and the update are the same graph code as the fused step.
 */
export function buildUpdateGraph(
  spec: Pick<DpoGraphSpec, 'modules' | 'state' | 'lora'>,
  optimizer: OptimizerConfig,
  maxGradNorm: number,
): { graph: Graph; step: TrainStep } {
  const g = new Graph();
  const params = [...spec.state].map(([name, data]) => {
    const shape = name.endsWith('lora_A.weight')
      ? [spec.lora.r, data.length / spec.lora.r]
      : [data.length / spec.lora.r, spec.lora.r];
    return g.param(name, data, shape, { trainable: true });
  });
  const surrogate = params
    .map((p) => reduceSum(mul(p, g.input(`${p.name}.grad`, 'float32', p.shape))))
    .reduce((total, term) => add(total, term)); // ()
  const step = buildTrainStep({
    loss: surrogate,
    optimizer,
    params,
    ...(maxGradNorm > 0 ? { maxGradNorm } : {}),
  });
  return { graph: g, step };
}
