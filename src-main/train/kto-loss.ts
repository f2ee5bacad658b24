// KTO (Ethayarajh et al. 2024) as TRL >= 0.29's KTOTrainer.kto_loss computes it, on sequence log-probs (sums
// over completion tokens), as an engine graph and as a float64 JS twin. Each example is one completion with a
// label (desirable or not) and a mismatched completion (another example's, for the prompt) whose log-ratio
// estimates KL(policy || reference): TRL's "KL dataset".
import {
  add,
  cast,
  greater,
  maximum,
  mul,
  reduceMean,
  reduceSum,
  sigmoid,
  stopGradient,
  sub,
  type Tensor,
} from '../engine/index';

export interface KtoOptions {
  /** β, KTOConfig.beta (default 0.1). */
  beta: number;
  /** KTOConfig.desirable_weight / undesirable_weight (default 1 each). */
  desirableWeight: number;
  undesirableWeight: number;
}

/** Sequence log-probs (B,) of the examples' completions and of their mismatched (KL) completions. */
export interface KtoInputs {
  policy: Tensor;
  reference: Tensor;
  policyKl: Tensor;
  referenceKl: Tensor;
  /** 1 where the completion is desirable, 0 where it is undesirable (B,), same float dtype. */
  labels: Tensor;
}

/**
 * What the graph outputs besides the loss: TRL's per-batch sums and counts (get_batch_loss_metrics), which its
 * `log` turns into means over everything logged; `kl` is a per-batch value, averaged.
 */
export const KTO_GRAPH_METRICS = {
  kl: 'mean',
  'rewards/chosen_sum': 'sum',
  'rewards/rejected_sum': 'sum',
  'logps/chosen_sum': 'sum',
  'logps/rejected_sum': 'sum',
  'count/chosen': 'sum',
  'count/rejected': 'sum',
} as const;

export type KtoGraphMetric = keyof typeof KTO_GRAPH_METRICS;

/**
 * The loss is the mean over the batch of
 *   desirable:   w_d (1 - σ(β (r - z)))      undesirable:   w_u (1 - σ(β (z - r)))     (KTO paper eq. 7)
 * with r = log π(y|x) - log π_ref(y|x) and z = max(0, mean over the batch of the KL rows' log-ratio), detached
 * (TRL computes those rows under no_grad and clamps the mean at 0).
 */
export function ktoLoss(
  inputs: KtoInputs,
  options: KtoOptions,
): { loss: Tensor; losses: Tensor; metrics: Record<KtoGraphMetric, Tensor> } {
  const { beta, desirableWeight, undesirableWeight } = checkKto(options);
  const { labels } = inputs;
  const kl = maximum(stopGradient(reduceMean(sub(inputs.policyKl, inputs.referenceKl))), 0); // ()
  const logratios = sub(inputs.policy, inputs.reference); // (B)
  const desirable = mul(sub(1, sigmoid(mul(sub(logratios, kl), beta))), desirableWeight); // (B)
  const undesirable = mul(sub(1, sigmoid(mul(sub(kl, logratios), beta))), undesirableWeight); // (B)
  const losses = add(mul(labels, desirable), mul(sub(1, labels), undesirable)); // (B)
  const rewards = mul(stopGradient(logratios), beta); // (B)
  const unlabels = sub(1, labels);
  const policy = stopGradient(inputs.policy);
  return {
    loss: reduceMean(losses),
    losses,
    metrics: {
      kl,
      'rewards/chosen_sum': reduceSum(mul(rewards, labels)),
      'rewards/rejected_sum': reduceSum(mul(rewards, unlabels)),
      'logps/chosen_sum': reduceSum(mul(policy, labels)),
      'logps/rejected_sum': reduceSum(mul(policy, unlabels)),
      'count/chosen': reduceSum(cast(greater(labels, 0.5), labels.dtype)),
      'count/rejected': reduceSum(cast(greater(unlabels, 0.5), labels.dtype)),
    },
  };
}

export function checkKto(options: KtoOptions): KtoOptions {
  const { beta, desirableWeight, undesirableWeight } = options;
  if (!(beta > 0)) throw new Error(`ktoLoss: beta must be > 0, got ${beta}`);
  if (!(desirableWeight >= 0 && undesirableWeight >= 0))
    throw new Error(
      `ktoLoss: the desirable and undesirable weights must be >= 0, got ${desirableWeight} and ${undesirableWeight}`,
    );
  return options;
}

/**
 * TRL's KTOTrainer.log: sums over counts for rewards and logps of each side present, the margin when both
 * are, and the mean kl. Missing sides are left out (as TRL leaves them out).
 */
export function ktoLogged(values: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  if (values.loss !== undefined) out.loss = values.loss;
  for (const side of ['chosen', 'rejected'] as const) {
    const count = values[`count/${side}`] ?? 0;
    if (count <= 0) continue;
    out[`rewards/${side}`] = (values[`rewards/${side}_sum`] as number) / count;
    out[`logps/${side}`] = (values[`logps/${side}_sum`] as number) / count;
  }
  if (out['rewards/chosen'] !== undefined && out['rewards/rejected'] !== undefined)
    out['rewards/margins'] = out['rewards/chosen'] - out['rewards/rejected'];
  out.kl = values.kl as number;
  return out;
}

export interface KtoBatch64 {
  policy: readonly number[];
  reference: readonly number[];
  policyKl: readonly number[];
  referenceKl: readonly number[];
  labels: readonly boolean[];
}

const sigmoid64 = (x: number): number => 1 / (1 + Math.exp(-x));
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The float64 twin: per-example losses, the logged metrics (TRL's names) and d loss / d policy. */
export function ktoLoss64(
  batch: KtoBatch64,
  options: KtoOptions,
): { losses: number[]; metrics: Record<string, number>; grad: number[] } {
  const { beta, desirableWeight, undesirableWeight } = checkKto(options);
  const kl = Math.max(0, mean(batch.policyKl.map((p, i) => p - (batch.referenceKl[i] as number))));
  const lossesOf = (policy: readonly number[]) =>
    policy.map((p, i) => {
      const r = p - (batch.reference[i] as number);
      return batch.labels[i]
        ? desirableWeight * (1 - sigmoid64(beta * (r - kl)))
        : undesirableWeight * (1 - sigmoid64(beta * (kl - r)));
    });
  const losses = lossesOf(batch.policy);
  const sums: Record<string, number> = { loss: mean(losses), kl };
  batch.policy.forEach((p, i) => {
    const side = batch.labels[i] ? 'chosen' : 'rejected';
    const reward = beta * (p - (batch.reference[i] as number));
    sums[`rewards/${side}_sum`] = (sums[`rewards/${side}_sum`] ?? 0) + reward;
    sums[`logps/${side}_sum`] = (sums[`logps/${side}_sum`] ?? 0) + p;
    sums[`count/${side}`] = (sums[`count/${side}`] ?? 0) + 1;
  });
  const grad = batch.policy.map((p, i) => {
    const step = 1e-5 * Math.max(1, Math.abs(p));
    const at = (delta: number) => mean(lossesOf(batch.policy.map((q, j) => (j === i ? q + delta : q))));
    return (at(step) - at(-step)) / (2 * step);
  });
  return { losses, metrics: ktoLogged(sums), grad };
}
