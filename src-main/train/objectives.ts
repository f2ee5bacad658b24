// The table of training objectives (TRL's trainers): DPO (with its own loss-type table), KTO and ORPO, each
// one short entry from the sequence log-probs of a two-row batch to the loss and TRL's metrics. Every entry
// takes per-sequence sums of log-probs, so it plugs into any way of computing them (full or chunked LM head).
import type { Tensor } from '../engine/index';
import { ktoLoss, ktoLogged, KTO_GRAPH_METRICS } from './kto-loss';
import { DPO_METRIC_NAMES, dpoLoss, type DpoLossType } from './losses';
import { orpoLoss, ORPO_METRIC_NAMES } from './orpo-loss';

export type TrainMethod = 'dpo' | 'kto' | 'orpo';

/**
 * Sequence log-probs of a `[first; second]` batch, each (B,). DPO and ORPO: the chosen and the rejected
 * completions of each pair. KTO: each example's completion and its mismatched completion (the KL row).
 */
export interface ObjectiveInputs {
  policy: readonly [Tensor, Tensor];
  /** Reference log-probs (absent for an objective without a reference model). */
  reference?: readonly [Tensor, Tensor];
  /** Completion token counts of both rows, same float dtype. */
  lengths: readonly [Tensor, Tensor];
  /** KTO: 1 desirable, 0 undesirable (B,). */
  labels?: Tensor;
  /** DPO's per-pair weights (B,) (our extension). */
  weights?: Tensor;
}

export interface ObjectiveOptions {
  loss: DpoLossType;
  beta: number;
  labelSmoothing: number;
  sftWeight: number;
  desirableWeight: number;
  undesirableWeight: number;
}

/** TRL's DPOConfig defaults (sigmoid loss, beta 0.1), for graphs built outside a resolved run. */
export const DPO_DEFAULTS: ObjectiveOptions = {
  loss: 'sigmoid',
  beta: 0.1,
  labelSmoothing: 0,
  sftWeight: 0,
  desirableWeight: 1,
  undesirableWeight: 1,
};

/** How a step's micro-batches combine a graph output: a mean over examples, or a plain sum. */
export type MetricCombine = 'mean' | 'sum';

export interface Objective {
  /** Reference log-probs are inputs (`ref_chosen`, `ref_rejected`): computed once before training. */
  reference: boolean;
  /** Per-example labels are an input (`labels`). */
  labels: boolean;
  /** Graph outputs besides `loss`, with how micro-batches combine them. */
  metrics: Readonly<Record<string, MetricCombine>>;
  build(
    inputs: ObjectiveInputs,
    options: ObjectiveOptions,
  ): { loss: Tensor; metrics: Record<string, Tensor> };
  /** The logged row (TRL's names) from the combined outputs, `loss` included. */
  logged(values: Readonly<Record<string, number>>): Record<string, number>;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`objective: ${what} is missing`);
  return value;
}

const meanOf = (names: readonly string[]): Record<string, MetricCombine> =>
  Object.fromEntries(names.map((n) => [n, 'mean' as const]));

export const OBJECTIVES: Record<TrainMethod, Objective> = {
  /** Rafailov et al. 2023 with TRL's loss types (losses.ts). */
  dpo: {
    reference: true,
    labels: false,
    metrics: meanOf(DPO_METRIC_NAMES.filter((m) => m !== 'loss')),
    build: (inputs, o) => {
      const reference = need(inputs.reference, 'the reference log-probs');
      return dpoLoss(
        {
          policyChosen: inputs.policy[0],
          policyRejected: inputs.policy[1],
          refChosen: reference[0],
          refRejected: reference[1],
          chosenLengths: inputs.lengths[0],
          rejectedLengths: inputs.lengths[1],
          ...(inputs.weights ? { weights: inputs.weights } : {}),
        },
        { type: o.loss, beta: o.beta, labelSmoothing: o.labelSmoothing, sftWeight: o.sftWeight },
      );
    },
    logged: (values) => ({ ...values }),
  },
  /** Ethayarajh et al. 2024, TRL's KTOTrainer (kto-loss.ts). */
  kto: {
    reference: true,
    labels: true,
    metrics: KTO_GRAPH_METRICS,
    build: (inputs, o) => {
      const reference = need(inputs.reference, 'the reference log-probs');
      return ktoLoss(
        {
          policy: inputs.policy[0],
          reference: reference[0],
          policyKl: inputs.policy[1],
          referenceKl: reference[1],
          labels: need(inputs.labels, 'the KTO labels'),
        },
        { beta: o.beta, desirableWeight: o.desirableWeight, undesirableWeight: o.undesirableWeight },
      );
    },
    logged: ktoLogged,
  },
  /** Hong et al. 2024, TRL's ORPOTrainer (orpo-loss.ts): no reference model. */
  orpo: {
    reference: false,
    labels: false,
    metrics: meanOf(ORPO_METRIC_NAMES),
    build: (inputs, o) =>
      orpoLoss(
        {
          policyChosen: inputs.policy[0],
          policyRejected: inputs.policy[1],
          chosenLengths: inputs.lengths[0],
          rejectedLengths: inputs.lengths[1],
        },
        o.beta,
      ),
    logged: (values) => ({ ...values }),
  },
};

export const TRAIN_METHODS = Object.keys(OBJECTIVES) as TrainMethod[];

/**
 * Combines the graph outputs of a step's (or an evaluation's) micro-batches: the loss by each part's share
 * of the loss, 'mean' metrics by each part's share of the examples, 'sum' metrics added.
 */
export function combineParts(
  objective: Objective,
  parts: readonly { values: Readonly<Record<string, number>>; lossShare: number; countShare: number }[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { values, lossShare, countShare } of parts) {
    out.loss = (out.loss ?? 0) + lossShare * (values.loss as number);
    for (const [name, how] of Object.entries(objective.metrics))
      out[name] = (out[name] ?? 0) + (how === 'sum' ? 1 : countShare) * (values[name] as number);
  }
  return objective.logged(out);
}
