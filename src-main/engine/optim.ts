// Optimizers as graph ops: AdamW and SGD updates, global-norm gradient clipping, and a builder that turns a
// loss into ONE train-step graph (forward, backward, clip, update) whose state goes in and out as tensors.
import { grad } from './autodiff';
import type { DType } from './dtype';
import type { Graph, Tensor } from './graph';
import { add, div, minimum, mul, pow, sqrt, sub } from './ops-elementwise';
import { reduceSum } from './ops-reduce';
import type { Shape } from './shape';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** torch.optim.AdamW's defaults. */
export const ADAMW_DEFAULTS: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export interface AdamWState {
  param: Tensor;
  m: Tensor;
  v: Tensor;
}

/**
 * One AdamW update (Loshchilov & Hutter, as torch.optim.AdamW): decoupled decay p <- p (1 - lr wd), then
 * p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). `step` is t, counted from 1.
 */
export function adamw(
  state: AdamWState,
  g: Tensor,
  lr: Tensor,
  step: Tensor,
  config: AdamWConfig,
): AdamWState {
  const { beta1, beta2, eps, weightDecay } = config;
  const graph = g.graph;
  const decayed = mul(state.param, sub(1, mul(lr, weightDecay)));
  const m = add(mul(state.m, beta1), mul(g, 1 - beta1));
  const v = add(mul(state.v, beta2), mul(mul(g, g), 1 - beta2));
  const correction1 = sub(1, pow(graph.scalar(beta1, g.dtype), step));
  const correction2 = sub(1, pow(graph.scalar(beta2, g.dtype), step));
  const denominator = add(sqrt(div(v, correction2)), eps);
  const param = sub(decayed, mul(div(lr, correction1), div(m, denominator)));
  return { param, m, v };
}

export interface SgdConfig {
  momentum: number;
  /** L2 penalty added to the gradient, as torch.optim.SGD's weight_decay. */
  weightDecay: number;
}

/** torch.optim.SGD (dampening 0, no Nesterov): b <- mu b + g'; p <- p - lr b, with g' = g + wd p. */
export function sgd(
  param: Tensor,
  g: Tensor,
  momentumBuffer: Tensor | undefined,
  lr: Tensor,
  config: SgdConfig,
): { param: Tensor; buffer: Tensor } {
  const decayed = config.weightDecay === 0 ? g : add(g, mul(param, config.weightDecay));
  const buffer =
    momentumBuffer && config.momentum !== 0 ? add(mul(momentumBuffer, config.momentum), decayed) : decayed;
  return { param: sub(param, mul(lr, buffer)), buffer };
}

/** The L2 norm of all gradients together. */
export function globalNorm(grads: readonly Tensor[]): Tensor {
  if (grads.length === 0) throw new Error('globalNorm: no gradients');
  const squares = grads.map((g) => reduceSum(mul(g, g)));
  return sqrt(squares.reduce((total, s) => add(total, s)));
}

/**
 * Global-norm clipping as torch.nn.utils.clip_grad_norm_: total = ||all grads||_2, each grad scaled by
 * min(1, maxNorm / (total + 1e-6)). Returns the clipped grads and the norm before clipping.
 */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: Tensor } {
  const norm = globalNorm(grads);
  const scale = minimum(div(maxNorm, add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => mul(g, scale)), norm };
}

export type OptimizerConfig = ({ kind: 'adamw' } & AdamWConfig) | ({ kind: 'sgd' } & SgdConfig);

export interface TrainStepOptions {
  loss: Tensor;
  /** Defaults to the graph's trainable params. */
  params?: readonly Tensor[];
  optimizer: OptimizerConfig;
  /** Clip the global gradient norm to this value; omit to only report the norm. */
  maxGradNorm?: number;
  /** Extra scalar outputs (e.g. rewards/chosen), named as given. */
  metrics?: Readonly<Record<string, Tensor>>;
}

/** A state tensor that is fed in and comes back updated under `output`. */
export interface StateSlot {
  input: string;
  output: string;
  dtype: DType;
  shape: Shape;
  /** 'param' slots start from the param's data, the rest (moments, step) from zeros. */
  init: 'param' | 'zeros';
}

export interface TrainStep {
  /** Inputs: every slot's `input`, plus 'lr' (scalar) and the graph's own inputs (the batch). */
  slots: StateSlot[];
  /** Outputs besides the slots: 'loss', 'grad_norm' and the metrics. */
  metrics: string[];
}

/**
 * Appends backward pass, clipping and optimizer update to the loss's graph and declares the outputs. Inputs:
 * trainable params, optimizer state ('<param>.m', '<param>.v' or '<param>.momentum'), 'step' (the number of
 * updates done so far), 'lr' and the batch. Outputs: '<name>.next' for each of those, 'loss', 'grad_norm'.
 */
export function buildTrainStep(options: TrainStepOptions): TrainStep {
  const { loss, optimizer } = options;
  const graph: Graph = loss.graph;
  const params = options.params ?? graph.trainableParams();
  if (params.length === 0)
    throw new Error('buildTrainStep: no trainable params (param(..., { trainable: true }))');
  const dtype = loss.dtype;
  const lr = graph.input('lr', dtype, []);
  const rawGrads = grad(loss, params);
  const clipped =
    options.maxGradNorm === undefined
      ? { grads: rawGrads, norm: globalNorm(rawGrads) }
      : clipGradNorm(rawGrads, options.maxGradNorm);
  const grads = clipped.grads;
  const slots: StateSlot[] = [];
  const state = (name: string, like: Tensor, init: StateSlot['init'], next: Tensor): void => {
    slots.push({ input: name, output: `${name}.next`, dtype: like.dtype, shape: like.shape, init });
    graph.output(`${name}.next`, next);
  };

  if (optimizer.kind === 'adamw') {
    const step = graph.input('step', dtype, []);
    const stepNext = add(step, 1);
    params.forEach((p, i) => {
      const m = graph.input(`${p.name}.m`, p.dtype, p.shape);
      const v = graph.input(`${p.name}.v`, p.dtype, p.shape);
      const updated = adamw({ param: p, m, v }, grads[i] as Tensor, lr, stepNext, optimizer);
      state(p.name, p, 'param', updated.param);
      state(m.name, p, 'zeros', updated.m);
      state(v.name, p, 'zeros', updated.v);
    });
    state('step', step, 'zeros', stepNext);
  } else {
    params.forEach((p, i) => {
      const buffer =
        optimizer.momentum !== 0 ? graph.input(`${p.name}.momentum`, p.dtype, p.shape) : undefined;
      const updated = sgd(p, grads[i] as Tensor, buffer, lr, optimizer);
      state(p.name, p, 'param', updated.param);
      if (buffer) state(buffer.name, p, 'zeros', updated.buffer);
    });
  }
  graph.output('loss', loss);
  graph.output('grad_norm', clipped.norm);
  for (const [name, metric] of Object.entries(options.metrics ?? {})) graph.output(name, metric);
  return { slots, metrics: ['loss', 'grad_norm', ...Object.keys(options.metrics ?? {})] };
}
