// The DPO loss table (TRL >= 0.29 names and formulas) as engine graphs, with TRL's metrics in the same graph,
// and a float64 JS twin of the same table for tests and for checking a run's numbers by hand.
import {
  add,
  cast,
  div,
  greater,
  logSigmoid,
  mul,
  neg,
  pow,
  reduceMean,
  reduceSum,
  relu,
  sub,
  type Tensor,
} from '../engine/index';

export type DpoLossType = 'sigmoid' | 'hinge' | 'ipo' | 'robust';

/** One row of the table: h is the implicit reward margin, beta the KL strength, eps the label smoothing. */
export interface DpoLossEntry {
  /** TRL's `ipo` divides every sequence log-prob by its completion length before the loss and metrics. */
  lengthNormalized: boolean;
  /** Per-pair losses in the DSL: h (B,) -> (B,). */
  graph(h: Tensor, beta: number, eps: number): Tensor;
  /** The same formula on one float64 number. */
  reference(h: number, beta: number, eps: number): number;
}

/** log σ(x), computed without overflow: -softplus(-x). */
export function logSigmoid64(x: number): number {
  return x < 0 ? x - Math.log1p(Math.exp(x)) : -Math.log1p(Math.exp(-x));
}

/**
 * h = (log π(y_w|x) - log π(y_l|x)) - (log π_ref(y_w|x) - log π_ref(y_l|x)), the margin of the implicit
 * rewards r = β log(π/π_ref). Each entry is TRL's DPOTrainer.dpo_loss for that `loss_type`.
 */
export const DPO_LOSSES: Record<DpoLossType, DpoLossEntry> = {
  /**
   * DPO, Rafailov et al. 2023 eq. 7: L = -log σ(β h). With label smoothing ε (conservative DPO, cDPO, Mitchell
   * 2023; TRL's `label_smoothing`): L = -(1-ε) log σ(β h) - ε log σ(-β h).
   */
  sigmoid: {
    lengthNormalized: false,
    graph: (h, beta, eps) => {
      const scaled = mul(h, beta);
      return sub(mul(neg(logSigmoid(scaled)), 1 - eps), mul(logSigmoid(neg(scaled)), eps));
    },
    reference: (h, beta, eps) => -logSigmoid64(beta * h) * (1 - eps) - logSigmoid64(-beta * h) * eps,
  },
  /** SLiC-style hinge (Zhao et al. 2023), TRL's `hinge`: L = relu(1 - β h). Label smoothing is ignored. */
  hinge: {
    lengthNormalized: false,
    graph: (h, beta) => relu(sub(1, mul(h, beta))),
    reference: (h, beta) => Math.max(0, 1 - beta * h),
  },
  /**
   * IPO, Azar et al. 2023 eq. 17: L = (h - 1/(2τ))² with τ = β, on length-normalised (mean per token)
   * log-probs as TRL does for `ipo`. Label smoothing is ignored.
   */
  ipo: {
    lengthNormalized: true,
    graph: (h, beta) => pow(sub(h, 1 / (2 * beta)), 2),
    reference: (h, beta) => (h - 1 / (2 * beta)) ** 2,
  },
  /**
   * Robust DPO, Chowdhury et al. 2024 eq. 8 (an unbiased loss under preference flips with rate ε), TRL's
   * `robust`: L = ((1-ε)(-log σ(β h)) + ε log σ(-β h)) / (1 - 2ε).
   */
  robust: {
    lengthNormalized: false,
    graph: (h, beta, eps) => {
      const scaled = mul(h, beta);
      const numerator = add(mul(neg(logSigmoid(scaled)), 1 - eps), mul(logSigmoid(neg(scaled)), eps));
      return div(numerator, 1 - 2 * eps);
    },
    reference: (h, beta, eps) =>
      (-logSigmoid64(beta * h) * (1 - eps) + logSigmoid64(-beta * h) * eps) / (1 - 2 * eps),
  },
};

export const DPO_LOSS_TYPES = Object.keys(DPO_LOSSES) as DpoLossType[];

export interface DpoLossOptions {
  type: DpoLossType;
  /** β, TRL's `beta` (default 0.1 there). */
  beta: number;
  /** ε, TRL's `label_smoothing`; used by `sigmoid` and `robust`, must be in [0, 0.5). Default 0. */
  labelSmoothing?: number;
  /**
   * Weight of the SFT term (TRL's `rpo_alpha`, or the weight of `sft` in `loss_type`/`loss_weights`): the
   * token-mean NLL of the chosen completions over the whole batch, -Σ log π(y_w) / Σ |y_w|. Default 0 (off).
   */
  sftWeight?: number;
}

/** Sequence log-probs, each (B,): the SUM of log-probs over completion tokens, as the model gives them. */
export interface DpoLossInputs {
  policyChosen: Tensor;
  policyRejected: Tensor;
  refChosen: Tensor;
  refRejected: Tensor;
  /** Completion token counts (B,), same float dtype; needed by `ipo` and by the SFT term. */
  chosenLengths?: Tensor;
  rejectedLengths?: Tensor;
  /**
   * Per-pair weights (B,), our extension (from the rating strength; off by default). The DPO part becomes
   * Σ w_i L_i / Σ w_i, so all-equal weights give TRL's plain mean. Metrics and the SFT term stay unweighted.
   */
  weights?: Tensor;
}

export const DPO_METRIC_NAMES = [
  'loss',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/accuracies',
  'rewards/margins',
  'logps/chosen',
  'logps/rejected',
] as const;

export type DpoMetricName = (typeof DPO_METRIC_NAMES)[number];

export interface DpoLossResult {
  /** The scalar to minimise. */
  loss: Tensor;
  /** Per-pair DPO losses (B,), before weighting and the SFT term. */
  losses: Tensor;
  /** TRL's metrics except `loss` (which is `loss` above), each a scalar mean over the batch. */
  metrics: Record<Exclude<DpoMetricName, 'loss'>, Tensor>;
}

function checkOptions(options: DpoLossOptions): { beta: number; eps: number; sftWeight: number } {
  const { beta } = options;
  const eps = options.labelSmoothing ?? 0;
  const sftWeight = options.sftWeight ?? 0;
  if (!(beta > 0)) throw new Error(`dpoLoss: beta must be > 0, got ${beta}`);
  if (!(eps >= 0 && eps < 0.5)) throw new Error(`dpoLoss: labelSmoothing must be in [0, 0.5), got ${eps}`);
  if (!(sftWeight >= 0)) throw new Error(`dpoLoss: sftWeight must be >= 0, got ${sftWeight}`);
  if (!DPO_LOSSES[options.type]) throw new Error(`dpoLoss: unknown loss type ${String(options.type)}`);
  return { beta, eps, sftWeight };
}

/** Builds the loss and TRL's metrics (all (B,) -> scalar) in the inputs' graph. */
export function dpoLoss(inputs: DpoLossInputs, options: DpoLossOptions): DpoLossResult {
  const { beta, eps, sftWeight } = checkOptions(options);
  const entry = DPO_LOSSES[options.type];
  const { chosenLengths, rejectedLengths } = inputs;
  let { policyChosen, policyRejected, refChosen, refRejected } = inputs;
  if (entry.lengthNormalized) {
    if (!chosenLengths || !rejectedLengths)
      throw new Error(`dpoLoss: '${options.type}' needs chosenLengths and rejectedLengths`);
    policyChosen = div(policyChosen, chosenLengths); // (B,)
    policyRejected = div(policyRejected, rejectedLengths);
    refChosen = div(refChosen, chosenLengths);
    refRejected = div(refRejected, rejectedLengths);
  }
  const h = sub(sub(policyChosen, policyRejected), sub(refChosen, refRejected)); // (B,)
  const losses = entry.graph(h, beta, eps); // (B,)
  let loss = inputs.weights
    ? div(reduceSum(mul(losses, inputs.weights)), reduceSum(inputs.weights))
    : reduceMean(losses); // ()
  if (sftWeight > 0) {
    if (!chosenLengths) throw new Error('dpoLoss: the SFT term needs chosenLengths');
    const nll = div(neg(reduceSum(inputs.policyChosen)), reduceSum(chosenLengths)); // ()
    loss = add(loss, mul(nll, sftWeight));
  }
  const chosenRewards = mul(sub(policyChosen, refChosen), beta); // (B,)
  const rejectedRewards = mul(sub(policyRejected, refRejected), beta); // (B,)
  const metrics = {
    'rewards/chosen': reduceMean(chosenRewards),
    'rewards/rejected': reduceMean(rejectedRewards),
    'rewards/accuracies': reduceMean(cast(greater(chosenRewards, rejectedRewards), h.dtype)),
    'rewards/margins': reduceMean(sub(chosenRewards, rejectedRewards)),
    'logps/chosen': reduceMean(policyChosen),
    'logps/rejected': reduceMean(policyRejected),
  };
  return { loss, losses, metrics };
}

/** Plain-number inputs for the float64 twin; same meaning as DpoLossInputs. */
export interface DpoBatch64 {
  policyChosen: readonly number[];
  policyRejected: readonly number[];
  refChosen: readonly number[];
  refRejected: readonly number[];
  chosenLengths?: readonly number[];
  rejectedLengths?: readonly number[];
  weights?: readonly number[];
}

export interface DpoResult64 {
  losses: number[];
  metrics: Record<DpoMetricName, number>;
  /** d loss / d policy log-prob sums, (B,) each. */
  gradChosen: number[];
  gradRejected: number[];
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** The float64 JS twin of dpoLoss: loss, metrics, and the gradient by central differences of the table. */
export function dpoLoss64(batch: DpoBatch64, options: DpoLossOptions): DpoResult64 {
  const { beta, eps, sftWeight } = checkOptions(options);
  const entry = DPO_LOSSES[options.type];
  const n = batch.policyChosen.length;
  const need = (xs: readonly number[] | undefined, what: string): readonly number[] => {
    if (!xs) throw new Error(`dpoLoss64: '${options.type}' needs ${what}`);
    return xs;
  };
  const scaleC = entry.lengthNormalized ? need(batch.chosenLengths, 'chosenLengths') : undefined;
  const scaleR = entry.lengthNormalized ? need(batch.rejectedLengths, 'rejectedLengths') : undefined;
  const norm = (xs: readonly number[], by: readonly number[] | undefined): number[] =>
    xs.map((x, i) => (by ? x / (by[i] as number) : x));

  const evaluate = (pc: readonly number[], pr: readonly number[]) => {
    const [c, r] = [norm(pc, scaleC), norm(pr, scaleR)];
    const [rc, rr] = [norm(batch.refChosen, scaleC), norm(batch.refRejected, scaleR)];
    const h = c.map((_, i) => (c[i] as number) - (r[i] as number) - ((rc[i] as number) - (rr[i] as number)));
    const losses = h.map((x) => entry.reference(x, beta, eps));
    const w = batch.weights;
    let loss = w ? sum(losses.map((l, i) => l * (w[i] as number))) / sum(w) : mean(losses);
    if (sftWeight > 0) loss += (sftWeight * -sum(pc)) / sum(need(batch.chosenLengths, 'chosenLengths'));
    const chosenRewards = c.map((x, i) => beta * (x - (rc[i] as number)));
    const rejectedRewards = r.map((x, i) => beta * (x - (rr[i] as number)));
    const metrics: Record<DpoMetricName, number> = {
      loss,
      'rewards/chosen': mean(chosenRewards),
      'rewards/rejected': mean(rejectedRewards),
      'rewards/accuracies': mean(chosenRewards.map((x, i) => (x > (rejectedRewards[i] as number) ? 1 : 0))),
      'rewards/margins': mean(chosenRewards.map((x, i) => x - (rejectedRewards[i] as number))),
      'logps/chosen': mean(c),
      'logps/rejected': mean(r),
    };
    return { losses, metrics };
  };

  const central = (which: 'c' | 'r', i: number): number => {
    const step =
      1e-5 * Math.max(1, Math.abs((which === 'c' ? batch.policyChosen : batch.policyRejected)[i]!));
    const shifted = (delta: number): number => {
      const pc = [...batch.policyChosen];
      const pr = [...batch.policyRejected];
      const target = which === 'c' ? pc : pr;
      target[i] = (target[i] as number) + delta;
      return evaluate(pc, pr).metrics.loss;
    };
    return (shifted(step) - shifted(-step)) / (2 * step);
  };
  const { losses, metrics } = evaluate(batch.policyChosen, batch.policyRejected);
  return {
    losses,
    metrics,
    gradChosen: Array.from({ length: n }, (_, i) => central('c', i)),
    gradRejected: Array.from({ length: n }, (_, i) => central('r', i)),
  };
}
