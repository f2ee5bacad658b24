// ORPO (Hong et al. 2024) as TRL >= 0.29's ORPOTrainer computes it (odds_ratio_loss + the chosen NLL), on
// sequence log-probs, as an engine graph and as a float64 JS twin. No reference model: the odds ratio compares
// the policy's own chosen and rejected completions.
import {
  cast,
  div,
  exp,
  greater,
  log,
  logSigmoid,
  mul,
  neg,
  reduceMean,
  reduceSum,
  stopGradient,
  sub,
  type Tensor,
} from '../engine/index';
import { logSigmoid64 } from './losses';

/** Sums of log-probs over completion tokens (B,) and the completions' token counts (B,). */
export interface OrpoInputs {
  policyChosen: Tensor;
  policyRejected: Tensor;
  chosenLengths: Tensor;
  rejectedLengths: Tensor;
}

/** TRL's ORPO metric names (the `logits/*` means need the full logits, which our LM head never builds). */
export const ORPO_METRIC_NAMES = [
  'rewards/chosen',
  'rewards/rejected',
  'rewards/accuracies',
  'rewards/margins',
  'logps/chosen',
  'logps/rejected',
  'nll_loss',
  'log_odds_ratio',
  'log_odds_chosen',
] as const;

export type OrpoMetricName = (typeof ORPO_METRIC_NAMES)[number];

/**
 * With the mean per-token log-probs a_w, a_l (TRL's average_log_prob=True):
 *   log odds = (a_w - a_l) - (log(1 - e^{a_w}) - log(1 - e^{a_l}))          (ORPO paper eqs. 4 and 7)
 *   L = NLL - β mean(log σ(log odds)),   NLL = -Σ log π(y_w) / Σ |y_w| (token mean over the chosen half),
 * rewards = β a (detached), as odds_ratio_loss returns them.
 */
export function orpoLoss(
  inputs: OrpoInputs,
  beta: number,
): { loss: Tensor; losses: Tensor; metrics: Record<OrpoMetricName, Tensor> } {
  if (!(beta > 0)) throw new Error(`orpoLoss: beta must be > 0, got ${beta}`);
  const chosen = div(inputs.policyChosen, inputs.chosenLengths); // (B)
  const rejected = div(inputs.policyRejected, inputs.rejectedLengths); // (B)
  const log1mExp = (x: Tensor): Tensor => log(sub(1, exp(x)));
  const logOdds = sub(sub(chosen, rejected), sub(log1mExp(chosen), log1mExp(rejected))); // (B)
  const ratio = logSigmoid(logOdds); // (B)
  const losses = mul(ratio, beta); // (B), TRL's `losses` (a gain: subtracted below)
  const nll = div(neg(reduceSum(inputs.policyChosen)), reduceSum(inputs.chosenLengths)); // ()
  const loss = sub(nll, reduceMean(losses));
  const chosenRewards = mul(stopGradient(chosen), beta);
  const rejectedRewards = mul(stopGradient(rejected), beta);
  return {
    loss,
    losses,
    metrics: {
      'rewards/chosen': reduceMean(chosenRewards),
      'rewards/rejected': reduceMean(rejectedRewards),
      'rewards/accuracies': reduceMean(cast(greater(chosenRewards, rejectedRewards), chosen.dtype)),
      'rewards/margins': reduceMean(sub(chosenRewards, rejectedRewards)),
      'logps/chosen': reduceMean(stopGradient(chosen)),
      'logps/rejected': reduceMean(stopGradient(rejected)),
      nll_loss: stopGradient(nll),
      log_odds_ratio: stopGradient(reduceMean(ratio)),
      log_odds_chosen: stopGradient(reduceMean(logOdds)),
    },
  };
}

export interface OrpoBatch64 {
  policyChosen: readonly number[];
  policyRejected: readonly number[];
  chosenLengths: readonly number[];
  rejectedLengths: readonly number[];
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** The float64 twin: loss and metrics (TRL's names) and d loss / d policy sums by central differences. */
export function orpoLoss64(
  batch: OrpoBatch64,
  beta: number,
): {
  losses: number[];
  metrics: Record<'loss' | OrpoMetricName, number>;
  gradChosen: number[];
  gradRejected: number[];
} {
  const evaluate = (pc: readonly number[], pr: readonly number[]) => {
    const c = pc.map((x, i) => x / (batch.chosenLengths[i] as number));
    const r = pr.map((x, i) => x / (batch.rejectedLengths[i] as number));
    const logOdds = c.map((a, i) => {
      const b = r[i] as number;
      return a - b - (Math.log1p(-Math.exp(a)) - Math.log1p(-Math.exp(b)));
    });
    const ratio = logOdds.map(logSigmoid64);
    const nll = -sum(pc) / sum(batch.chosenLengths);
    const rc = c.map((x) => beta * x);
    const rr = r.map((x) => beta * x);
    const metrics = {
      loss: nll - beta * mean(ratio),
      'rewards/chosen': mean(rc),
      'rewards/rejected': mean(rr),
      'rewards/accuracies': mean(rc.map((x, i) => (x > (rr[i] as number) ? 1 : 0))),
      'rewards/margins': mean(rc.map((x, i) => x - (rr[i] as number))),
      'logps/chosen': mean(c),
      'logps/rejected': mean(r),
      nll_loss: nll,
      log_odds_ratio: mean(ratio),
      log_odds_chosen: mean(logOdds),
    };
    return { losses: ratio.map((x) => beta * x), metrics };
  };
  const central = (side: 'c' | 'r', i: number): number => {
    const base = side === 'c' ? batch.policyChosen : batch.policyRejected;
    const step = 1e-6 * Math.max(1, Math.abs(base[i] as number));
    const at = (delta: number) => {
      const moved = base.map((x, j) => (j === i ? x + delta : x));
      return side === 'c'
        ? evaluate(moved, batch.policyRejected).metrics.loss
        : evaluate(batch.policyChosen, moved).metrics.loss;
    };
    return (at(step) - at(-step)) / (2 * step);
  };
  const { losses, metrics } = evaluate(batch.policyChosen, batch.policyRejected);
  return {
    losses,
    metrics,
    gradChosen: batch.policyChosen.map((_, i) => central('c', i)),
    gradRejected: batch.policyRejected.map((_, i) => central('r', i)),
  };
}
