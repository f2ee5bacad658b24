// LoRA linear: forward and one SGD step against PyTorch float64 (fixtures/lora.json), gradients against
// finite differences, B = 0 is exactly the base, PEFT's init bound and module matching, and which tensors
// a first step changes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Graph, buildTrainStep, mul, reduceSum, type Tensor } from '../engine/index';
import { checkGraphGradients, expectClose, runGraph, type Fed } from '../engine/testing/harness';
import {
  addLoraParams,
  defaultTargetModules,
  initLoraWeights,
  isTargetModule,
  kaimingUniformBound,
  loraLinear,
  type LoraWeights,
} from './lora';
import { Rng } from './rng';

interface LoraFixture {
  dims: { in: number; out: number; r: number; alpha: number; lr: number; x: number[] };
  inputs: Record<'x' | 'w' | 'b' | 'a' | 'bb' | 'weights', number[]>;
  y: number[];
  loss: number;
  grads: { a: number[]; bb: number[] };
  afterSgd: { a: number[]; bb: number[] };
  kaiming: { fanIn: number; bound: number; maxAbs: number };
}

const fx = JSON.parse(readFileSync(new URL('./fixtures/lora.json', import.meta.url), 'utf8')) as LoraFixture;
const { dims } = fx;
const f64 = (xs: readonly number[]): Float64Array => Float64Array.from(xs);
const feed = (data: Float64Array, shape: readonly number[]): Fed => ({ dtype: 'float64', data, dims: shape });

/** The fixture's layer as a graph: x input, W and b frozen, A and B trainable; loss = sum(y * weights). */
function build(weights: LoraWeights = { a: f64(fx.inputs.a), b: f64(fx.inputs.bb) }, withAdapter = true) {
  const g = new Graph();
  const x = g.input('x', 'float64', dims.x);
  const weight = g.param('w', f64(fx.inputs.w), [dims.out, dims.in]);
  const bias = g.param('b', f64(fx.inputs.b), [dims.out]);
  const adapter = withAdapter
    ? addLoraParams(g, 'h.0.attn.c_attn', weights, { inFeatures: dims.in, outFeatures: dims.out }, dims)
    : undefined;
  const y = loraLinear(x, { weight, bias }, adapter); // (2, 3, out)
  const loss = reduceSum(mul(y, g.constant(f64(fx.inputs.weights), [...dims.x.slice(0, 2), dims.out])));
  return { g, x, y, loss, adapter };
}

const xFeed = { x: feed(f64(fx.inputs.x), dims.x) };
const adapterFeeds = (a: Tensor, b: Tensor, w: LoraWeights): Record<string, Fed> => ({
  [a.name]: feed(Float64Array.from(w.a), a.shape as number[]),
  [b.name]: feed(Float64Array.from(w.b), b.shape as number[]),
});

describe('LoRA linear (PEFT semantics)', () => {
  it('forward matches PyTorch float64 at 1e-12', async () => {
    const { g, y, adapter } = build();
    g.output('y', y);
    const w = { a: f64(fx.inputs.a), b: f64(fx.inputs.bb) };
    const out = await runGraph(g, { ...xFeed, ...adapterFeeds(adapter!.a, adapter!.b, w) });
    expectClose(out.y!.data, fx.y, 1e-12, 'y');
  });

  it('gradients of A and B match central finite differences', async () => {
    const { g, loss, adapter } = build();
    const w = { a: f64(fx.inputs.a), b: f64(fx.inputs.bb) };
    await checkGraphGradients(g, loss, [adapter!.a, adapter!.b], {
      ...xFeed,
      ...adapterFeeds(adapter!.a, adapter!.b, w),
    });
  });

  it('with B = 0 the output is exactly the base layer', async () => {
    const weights = initLoraWeights(dims.in, dims.out, dims.r, new Rng(7), 'float64');
    const lora = build(weights);
    lora.g.output('y', lora.y);
    const base = build(undefined, false);
    base.g.output('y', base.y);
    const withLora = await runGraph(lora.g, {
      ...xFeed,
      ...adapterFeeds(lora.adapter!.a, lora.adapter!.b, weights),
    });
    const without = await runGraph(base.g, xFeed);
    expect(Array.from(withLora.y!.data)).toEqual(Array.from(without.y!.data));
  });

  it('one SGD step from a given adapter equals torch.optim.SGD and changes every trainable tensor', async () => {
    const { loss, adapter } = build();
    const step = buildTrainStep({ loss, optimizer: { kind: 'sgd', momentum: 0, weightDecay: 0 } });
    const given = { a: f64(fx.inputs.a), b: f64(fx.inputs.bb) };
    const out = await runGraph(loss.graph, {
      ...xFeed,
      lr: feed(f64([dims.lr]), []),
      ...adapterFeeds(adapter!.a, adapter!.b, given),
    });
    expectClose(out.loss!.data, [fx.loss], 1e-12, 'loss');
    const names = step.slots.map((s) => s.input);
    expect(names).toEqual(['h.0.attn.c_attn.lora_A.weight', 'h.0.attn.c_attn.lora_B.weight']);
    expectClose(out[`${names[0]}.next`]!.data, fx.afterSgd.a, 1e-12, 'A after SGD');
    expectClose(out[`${names[1]}.next`]!.data, fx.afterSgd.bb, 1e-12, 'B after SGD');
    expect(out[`${names[0]}.next`]!.data.some((v, i) => v !== fx.inputs.a[i])).toBe(true);
    expect(out[`${names[1]}.next`]!.data.some((v, i) => v !== fx.inputs.bb[i])).toBe(true);
  });

  it('from a fresh adapter (B = 0) step 1 changes only B; A changes from step 2 on', async () => {
    // dL/dA = scaling * B^T (dL/dy)^T x, which is exactly 0 while B = 0, so the first SGD step leaves A as it
    // is (AdamW with weight decay would only shrink it by (1 - lr wd)). TRL's "every trainable param changed"
    // check holds because it trains several steps and skips params that start at zero, not after step 1.
    const fresh = initLoraWeights(dims.in, dims.out, dims.r, new Rng(1), 'float64');
    const { loss, adapter } = build(fresh);
    buildTrainStep({ loss, optimizer: { kind: 'sgd', momentum: 0, weightDecay: 0 } });
    const [aName, bName] = [adapter!.a.name, adapter!.b.name];
    const stepOnce = (w: LoraWeights) =>
      runGraph(loss.graph, {
        ...xFeed,
        lr: feed(f64([dims.lr]), []),
        ...adapterFeeds(adapter!.a, adapter!.b, w),
      });
    const first = await stepOnce(fresh);
    const afterOne = { a: first[`${aName}.next`]!.data, b: first[`${bName}.next`]!.data };
    expect(Array.from(afterOne.a)).toEqual(Array.from(fresh.a));
    expect(afterOne.b.every((v) => v !== 0)).toBe(true);
    const second = await stepOnce(afterOne);
    expect(second[`${aName}.next`]!.data.some((v, i) => v !== afterOne.a[i])).toBe(true);
  });

  it("init: A ~ U(-1/sqrt(in), 1/sqrt(in)) is torch's kaiming_uniform_(a=sqrt(5)) bound; B = 0; seeded", () => {
    expect(kaimingUniformBound(fx.kaiming.fanIn)).toBeCloseTo(fx.kaiming.bound, 14);
    const w = initLoraWeights(64, 32, 8, new Rng(42));
    expect(w.a.length).toBe(8 * 64);
    expect(w.b).toEqual(new Float32Array(32 * 8));
    const bound = kaimingUniformBound(64);
    expect(Math.max(...Array.from(w.a, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(w.a, Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(initLoraWeights(64, 32, 8, new Rng(42)).a).toEqual(w.a);
    expect(initLoraWeights(64, 32, 8, new Rng(43)).a).not.toEqual(w.a);
  });

  it('target modules: Llama projections by default, GPT-2 Conv1D names, matched as PEFT does', () => {
    expect(defaultTargetModules('llama')).toEqual([
      'q_proj',
      'k_proj',
      'v_proj',
      'o_proj',
      'gate_proj',
      'up_proj',
      'down_proj',
    ]);
    expect(defaultTargetModules('gpt2')).toEqual(['c_attn', 'c_proj', 'c_fc']);
    expect(defaultTargetModules('phi3')).toEqual(['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj']);
    for (const family of ['qwen3', 'gemma3_text', 'gemma3', 'smollm3'])
      expect(defaultTargetModules(family)).toEqual(defaultTargetModules('llama'));
    const gpt2 = defaultTargetModules('gpt2');
    expect(isTargetModule('transformer.h.0.attn.c_proj', gpt2)).toBe(true);
    expect(isTargetModule('transformer.h.0.mlp.c_proj', gpt2)).toBe(true);
    expect(isTargetModule('transformer.h.0.mlp.xc_proj', gpt2)).toBe(false);
    expect(isTargetModule('lm_head', defaultTargetModules('llama'))).toBe(false);
  });

  it('GPT-2 Conv1D layout ([in, out] weight) gives the same output as the transposed nn.Linear', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', dims.x);
    const transposed = new Float64Array(dims.in * dims.out);
    for (let o = 0; o < dims.out; o++)
      for (let i = 0; i < dims.in; i++) transposed[i * dims.out + o] = fx.inputs.w[o * dims.in + i] as number;
    const weight = g.param('w', transposed, [dims.in, dims.out]);
    const bias = g.param('b', f64(fx.inputs.b), [dims.out]);
    const w = { a: f64(fx.inputs.a), b: f64(fx.inputs.bb) };
    const adapter = addLoraParams(g, 'm', w, { inFeatures: dims.in, outFeatures: dims.out }, dims);
    g.output('y', loraLinear(x, { weight, bias, fanInFanOut: true }, adapter));
    const out = await runGraph(g, { ...xFeed, ...adapterFeeds(adapter.a, adapter.b, w) });
    expectClose(out.y!.data, fx.y, 1e-12, 'y');
  });
});
