// Composite cases against PyTorch fixtures (scripts/torch-fixtures/make_fixtures.py), float32 at 1e-5.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { grad } from './autodiff';
import { Graph, type Tensor } from './graph';
import {
  applyRope,
  attention,
  gelu,
  geluNew,
  layerNorm,
  linear,
  logSigmoid,
  rmsNorm,
  ropeTables,
  tokenLogProbs,
} from './nn';
import { add, mul, neg, sub, tanh } from './ops-elementwise';
import { reduceMean, reduceSum } from './ops-reduce';
import { reshape, slice, transpose } from './ops-shape';
import { buildTrainStep } from './optim';
import { expectClose, runGraph, type Fed } from './testing/harness';

interface Stored {
  shape: number[];
  data: number[];
}

interface Fixture {
  inputs: Record<string, Stored>;
  outputs: Record<string, Stored>;
  grads: Record<string, Stored>;
}

const TOLERANCE = 1e-5;
const INT_INPUTS = new Set(['positions', 'tokens']);

function load(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture;
}

function feed(stored: Stored, name: string): Fed {
  if (INT_INPUTS.has(name))
    return { dtype: 'int64', data: BigInt64Array.from(stored.data, BigInt), dims: stored.shape };
  return { dtype: 'float32', data: Float32Array.from(stored.data), dims: stored.shape };
}

/**
 * Declares every fixture input as a graph input, lets `build` compute the outputs and the loss, appends
 * gradients of the loss for the fixture's gradients, runs on ORT and compares everything.
 */
async function checkFixture(
  name: string,
  build: (x: Record<string, Tensor>) => { outputs: Record<string, Tensor>; loss: Tensor },
) {
  const fixture = load(name);
  const g = new Graph();
  const inputs: Record<string, Tensor> = {};
  for (const [key, stored] of Object.entries(fixture.inputs)) {
    inputs[key] = g.input(key, INT_INPUTS.has(key) ? 'int64' : 'float32', stored.shape);
  }
  const { outputs, loss } = build(inputs);
  for (const [key, t] of Object.entries(outputs)) g.output(key, t);
  const wrt = Object.keys(fixture.grads);
  grad(
    loss,
    wrt.map((key) => inputs[key] as Tensor),
  ).forEach((t, i) => g.output(`grad.${wrt[i]}`, t));
  const feeds = Object.fromEntries(
    Object.entries(fixture.inputs).map(([key, stored]) => [key, feed(stored, key)]),
  );
  const result = await runGraph(g, feeds);
  for (const [key, stored] of Object.entries(fixture.outputs)) {
    expectClose(result[key]!.data, stored.data, TOLERANCE, `${name} output ${key}`);
  }
  for (const [key, stored] of Object.entries(fixture.grads)) {
    expectClose(result[`grad.${key}`]!.data, stored.data, TOLERANCE, `${name} gradient of ${key}`);
  }
}

describe('PyTorch fixtures (float32, 1e-5)', () => {
  it('MLP with exact GELU', async () => {
    await checkFixture('mlp_gelu', ({ x, w1, b1, w2, b2, weights }) => {
      const y = linear(gelu(linear(x!, w1!, b1)), w2!, b2); // (3, 2)
      const loss = reduceSum(mul(y, weights!));
      return { outputs: { y, loss }, loss };
    });
  });

  it('GPT-2 MLP: LayerNorm and gelu_new with a residual', async () => {
    await checkFixture('gpt2_mlp', ({ x, ln_w, ln_b, w1, w2, weights }) => {
      const h = layerNorm(x!, ln_w!, ln_b!, 1e-5); // (B, T, C)
      const y = add(x!, linear(geluNew(linear(h, w1!)), w2!));
      return { outputs: { y }, loss: reduceSum(mul(y, weights!)) };
    });
  });

  it('RMSNorm', async () => {
    await checkFixture('rmsnorm', ({ x, w, weights }) => {
      const y = rmsNorm(x!, w!, 1e-6);
      return { outputs: { y }, loss: reduceSum(mul(y, weights!)) };
    });
  });

  it('Llama attention block: RoPE at offset positions, causal grouped-query attention', async () => {
    await checkFixture('attention_block', ({ x, norm, wq, wk, wv, wo, positions, weights }) => {
      const [batch, seq, heads, headDim] = [2, 5, 2, 4];
      const split = (t: Tensor, n: number): Tensor =>
        transpose(reshape(t, [batch, seq, n, headDim]), [0, 2, 1, 3]);
      const h = rmsNorm(x!, norm!, 1e-6); // (B, T, C)
      const { cos, sin } = ropeTables(positions!, headDim, 10000);
      const q = applyRope(split(linear(h, wq!), heads), cos, sin); // (B, H, T, D)
      const k = applyRope(split(linear(h, wk!), 1), cos, sin); // (B, 1, T, D)
      const v = split(linear(h, wv!), 1); // (B, 1, T, D)
      const attended = transpose(attention(q, k, v, { causal: true }), [0, 2, 1, 3]); // (B, T, H, D)
      const y = add(x!, linear(reshape(attended, [batch, seq, heads * headDim]), wo!)); // (B, T, C)
      return { outputs: { y }, loss: reduceSum(mul(y, weights!)) };
    });
  });

  it('shifted token log-probs summed over completion tokens', async () => {
    await checkFixture('token_logprobs', ({ logits, tokens, completion }) => {
      const logps = tokenLogProbs(slice(logits!, 1, 0, -1), slice(tokens!, 1, 1)); // (B, T-1)
      const seqLogp = reduceSum(mul(logps, completion!), [1]); // (B)
      return { outputs: { logps, seq_logp: seqLogp }, loss: reduceSum(seqLogp) };
    });
  });

  it('DPO sigmoid loss with label smoothing, including an exactly-zero margin', async () => {
    await checkFixture('dpo_sigmoid', ({ chosen, rejected, ref_chosen, ref_rejected }) => {
      const [beta, smoothing] = [0.1, 0.1];
      const logits = sub(sub(chosen!, rejected!), sub(ref_chosen!, ref_rejected!)); // (B)
      const scaled = mul(logits, beta);
      const losses = sub(
        mul(neg(logSigmoid(scaled)), 1 - smoothing),
        mul(logSigmoid(neg(scaled)), smoothing),
      );
      const loss = reduceMean(losses);
      return { outputs: { losses, loss }, loss };
    });
  });

  it('two clipped AdamW steps of a train-step graph match torch.optim.AdamW + clip_grad_norm_', async () => {
    const fixture = load('mlp_adamw');
    const stored = (key: string): Stored => fixture.inputs[key] as Stored;
    const g = new Graph();
    const x = g.input('x', 'float32', stored('x').shape);
    const target = g.input('target', 'float32', stored('target').shape);
    const w1 = g.param('w1', Float32Array.from(stored('w1').data), stored('w1').shape, { trainable: true });
    const w2 = g.param('w2', Float32Array.from(stored('w2').data), stored('w2').shape, { trainable: true });
    const error = sub(linear(tanh(linear(x, w1)), w2), target); // (4, 2)
    const step = buildTrainStep({
      loss: reduceMean(mul(error, error)),
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
      maxGradNorm: 0.5,
    });
    const state: Record<string, Fed> = {};
    for (const slot of step.slots) {
      const size = slot.shape.reduce<number>((p, d) => p * (d as number), 1);
      const data =
        slot.init === 'param' ? Float32Array.from(stored(slot.input).data) : new Float32Array(size);
      state[slot.input] = { dtype: 'float32', data, dims: slot.shape as number[] };
    }
    const losses: number[] = [];
    const norms: number[] = [];
    for (let s = 0; s < 2; s++) {
      const out = await runGraph(g, {
        ...state,
        x: feed(stored('x'), 'x'),
        target: feed(stored('target'), 'target'),
        lr: { dtype: 'float32', data: Float32Array.from([0.01]), dims: [] },
      });
      for (const slot of step.slots)
        state[slot.input] = { ...state[slot.input]!, data: Float32Array.from(out[slot.output]!.data) };
      losses.push(out.loss!.data[0] as number);
      norms.push(out.grad_norm!.data[0] as number);
    }
    const expected = (key: string): number[] => (fixture.outputs[key] as Stored).data;
    expectClose(state.w1!.data as Float32Array, expected('w1'), TOLERANCE, 'w1 after two steps');
    expectClose(state.w2!.data as Float32Array, expected('w2'), TOLERANCE, 'w2 after two steps');
    expectClose(losses, expected('loss'), TOLERANCE, 'losses');
    expectClose(norms, expected('grad_norm'), TOLERANCE, 'grad norms');
  });
});
