// Whole graphs: an MLP, an attention block and a symbolic-shape graph against finite differences (float64),
// and the optimizers against closed forms and a plain-JS transcription of torch.optim.
import { describe, expect, it } from 'vitest';
import { Graph, type Tensor } from './graph';
import { attention, applyRope, linear, rmsNorm, ropeTables } from './nn';
import { add, mul, sub, tanh } from './ops-elementwise';
import { reduceMean, reduceSum } from './ops-reduce';
import { concat, reshape, slice, transpose } from './ops-shape';
import { buildTrainStep, type OptimizerConfig } from './optim';
import { checkGraphGradients, expectClose, randomNd, rng, runGraph, type Fed } from './testing/harness';

function randomParam(g: Graph, name: string, shape: number[], random: () => number): Tensor {
  return g.param(name, randomNd(shape, random, -0.5, 0.5).data, shape, { trainable: true });
}

/** Feeds for every trainable param at its initial value, plus the given inputs. */
function feedsFor(g: Graph, inputs: Record<string, Fed>): Record<string, Fed> {
  const feeds: Record<string, Fed> = { ...inputs };
  for (const p of g.trainableParams()) {
    const leaf = p.node.leaf;
    if (leaf?.kind === 'param')
      feeds[p.name] = { dtype: p.dtype, data: leaf.data, dims: p.shape as number[] };
  }
  return feeds;
}

describe('whole graphs vs finite differences (float64)', () => {
  it('two-layer MLP with tanh and a mean-squared-error loss', async () => {
    const random = rng(1);
    const g = new Graph();
    const x = g.input('x', 'float64', [4, 3]);
    const target = g.input('target', 'float64', [4, 2]);
    const w1 = randomParam(g, 'w1', [5, 3], random);
    const b1 = randomParam(g, 'b1', [5], random);
    const w2 = randomParam(g, 'w2', [2, 5], random);
    const b2 = randomParam(g, 'b2', [2], random);
    const hidden = tanh(linear(x, w1, b1)); // (4, 5)
    const out = linear(hidden, w2, b2); // (4, 2)
    const error = sub(out, target);
    const loss = reduceMean(mul(error, error));
    const feeds = feedsFor(g, {
      x: { dtype: 'float64', data: randomNd([4, 3], random).data, dims: [4, 3] },
      target: { dtype: 'float64', data: randomNd([4, 2], random).data, dims: [4, 2] },
    });
    await checkGraphGradients(g, loss, [w1, b1, w2, b2], feeds);
  });

  it('pre-norm attention block: RMSNorm, q/k/v projections, RoPE, causal GQA, output projection, residual', async () => {
    const random = rng(2);
    const [batch, seq, dim, heads, kvHeads, headDim] = [2, 4, 8, 2, 1, 4];
    const g = new Graph();
    const x = g.input('x', 'float64', [batch, seq, dim]);
    const positions = g.input('positions', 'int64', [batch, seq]);
    const norm = randomParam(g, 'norm', [dim], random);
    const wq = randomParam(g, 'wq', [heads * headDim, dim], random);
    const wk = randomParam(g, 'wk', [kvHeads * headDim, dim], random);
    const wv = randomParam(g, 'wv', [kvHeads * headDim, dim], random);
    const wo = randomParam(g, 'wo', [dim, heads * headDim], random);
    const split = (t: Tensor, n: number): Tensor =>
      transpose(reshape(t, [batch, seq, n, headDim]), [0, 2, 1, 3]); // (B, n, T, D)
    const h = rmsNorm(x, norm, 1e-6); // (B, T, C)
    const { cos, sin } = ropeTables(positions, headDim, 10000, 'float64');
    const q = applyRope(split(linear(h, wq), heads), cos, sin); // (B, H, T, D)
    const k = applyRope(split(linear(h, wk), kvHeads), cos, sin); // (B, Hkv, T, D)
    const v = split(linear(h, wv), kvHeads); // (B, Hkv, T, D)
    const y = transpose(attention(q, k, v, { causal: true }), [0, 2, 1, 3]); // (B, T, H, D)
    const out = add(x, linear(reshape(y, [batch, seq, heads * headDim]), wo)); // (B, T, C)
    const weights = g.constant(randomNd([batch, seq, dim], random).data, [batch, seq, dim]);
    const loss = reduceSum(mul(out, weights));
    const feeds = feedsFor(g, {
      x: { dtype: 'float64', data: randomNd([batch, seq, dim], random).data, dims: [batch, seq, dim] },
      positions: {
        dtype: 'int64',
        data: BigInt64Array.from([0, 1, 2, 3, 0, 1, 2, 3], BigInt),
        dims: [batch, seq],
      },
    });
    await checkGraphGradients(g, loss, [norm, wq, wk, wv, wo], feeds);
  });

  it('symbolic batch and seq: shifted slices, concat and causal attention run at two sizes', async () => {
    for (const [batch, seq] of [
      [2, 3],
      [1, 5],
    ] as const) {
      const random = rng(3 + seq);
      const g = new Graph();
      const x = g.input('x', 'float64', ['batch', 'seq', 4]);
      const w = randomParam(g, 'w', [4, 4], random);
      const h = linear(x, w); // (batch, seq, 4)
      const shifted = concat([slice(h, 1, 1), slice(h, 1, 0, 1)], 1); // (batch, seq, 4)
      const heads = reshape(x, ['batch', 'seq', 2, 2]); // (batch, seq, 2, 2)
      const q = transpose(heads, [0, 2, 1, 3]); // (batch, 2, seq, 2)
      const attended = attention(q, q, q, { causal: true }); // (batch, 2, seq, 2)
      const loss = add(reduceSum(mul(shifted, tanh(h))), reduceMean(mul(attended, attended)));
      const data = randomNd([batch, seq, 4], random).data;
      const feeds = feedsFor(g, { x: { dtype: 'float64', data, dims: [batch, seq, 4] } });
      await checkGraphGradients(g, loss, [w, x], feeds);
    }
  });
});

/** torch.optim.AdamW's update, transcribed to plain JS (torch/optim/adamw.py, _single_tensor_adamw). */
function adamwReference(
  p: number[],
  grads: number[][],
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  wd: number,
): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const param = [...p];
  grads.forEach((g, t) => {
    const step = t + 1;
    for (let i = 0; i < param.length; i++) {
      const gi = g[i] as number;
      param[i] = (param[i] as number) * (1 - lr * wd);
      m[i] = (m[i] as number) * b1 + (1 - b1) * gi;
      v[i] = (v[i] as number) * b2 + (1 - b2) * gi * gi;
      const denom = Math.sqrt(v[i] as number) / Math.sqrt(1 - b2 ** step) + eps;
      param[i] = (param[i] as number) - (lr / (1 - b1 ** step)) * ((m[i] as number) / denom);
    }
  });
  return param;
}

/** A train step for loss = sum(c * p) + 0.5 * sum(p^2), whose gradient is c + p. */
async function runSteps(optimizer: OptimizerConfig, steps: number, maxGradNorm?: number) {
  const initial = [0.5, -1.5, 2, 0.25];
  const c = [1, -2, 0.5, 3];
  const g = new Graph();
  const p = g.param('p', Float64Array.from(initial), [4], { trainable: true });
  const loss = add(reduceSum(mul(p, g.constant(Float64Array.from(c), [4]))), mul(reduceSum(mul(p, p)), 0.5));
  const step = buildTrainStep({ loss, optimizer, ...(maxGradNorm === undefined ? {} : { maxGradNorm }) });
  const state: Record<string, Fed> = {};
  for (const slot of step.slots) {
    const data =
      slot.init === 'param' ? Float64Array.from(initial) : new Float64Array(slot.shape.length === 0 ? 1 : 4);
    state[slot.input] = { dtype: 'float64', data, dims: slot.shape as number[] };
  }
  const norms: number[] = [];
  const gradients: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const current = Array.from(state.p!.data as Float64Array);
    gradients.push(current.map((v, i) => v + (c[i] as number)));
    const out = await runGraph(g, {
      ...state,
      lr: { dtype: 'float64', data: Float64Array.from([0.1]), dims: [] },
    });
    for (const slot of step.slots)
      state[slot.input] = { ...state[slot.input]!, data: out[slot.output]!.data };
    norms.push(out.grad_norm!.data[0] as number);
  }
  return {
    initial,
    c,
    params: Array.from(state.p!.data as Float64Array),
    gradients,
    norms,
    state,
    slots: step.slots,
  };
}

describe('optimizers as graphs', () => {
  const adamw: OptimizerConfig = { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

  it('one AdamW step matches the closed form p(1 - lr wd) - lr g / (|g| + eps)', async () => {
    const { initial, c, params, state } = await runSteps(adamw, 1);
    const expected = initial.map((p, i) => {
      const gi = p + (c[i] as number);
      return p * (1 - 0.1 * 0.1) - (0.1 * gi) / (Math.abs(gi) + 1e-8);
    });
    expectClose(params, expected, 1e-12, 'param after one step');
    expect(Array.from(state.step!.data as Float64Array)).toEqual([1]);
    expectClose(
      state['p.m']!.data as Float64Array,
      initial.map((p, i) => 0.1 * (p + (c[i] as number))),
      1e-12,
      'm',
    );
  });

  it('five AdamW steps match torch.optim.AdamW transcribed to JS', async () => {
    const { initial, params, gradients } = await runSteps(adamw, 5);
    expectClose(params, adamwReference(initial, gradients, 0.1, 0.9, 0.999, 1e-8, 0.1), 1e-12, 'params');
  });

  it('SGD with momentum and weight decay, as torch.optim.SGD', async () => {
    const { initial, params, gradients } = await runSteps(
      { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 },
      3,
    );
    const p = [...initial];
    const buffer = p.map(() => 0);
    for (const g of gradients) {
      p.forEach((v, i) => {
        buffer[i] = 0.9 * (buffer[i] as number) + (g[i] as number) + 0.01 * v;
        p[i] = v - 0.1 * (buffer[i] as number);
      });
    }
    expectClose(params, p, 1e-12, 'params');
  });

  it('global-norm clipping scales every gradient by maxNorm / (norm + 1e-6) and reports the norm before', async () => {
    const { initial, c, params, norms } = await runSteps({ kind: 'sgd', momentum: 0, weightDecay: 0 }, 1, 1);
    const g = initial.map((p, i) => p + (c[i] as number));
    const norm = Math.hypot(...g);
    expect(norms[0]).toBeCloseTo(norm, 12);
    const expected = initial.map((p, i) => p - (0.1 * (g[i] as number)) / (norm + 1e-6));
    expectClose(params, expected, 1e-12, 'clipped step');
  });
});
