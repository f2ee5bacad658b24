// Transformer pieces built from primitives: forward vs float64 references, gradients vs finite differences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Graph, type Tensor } from './graph';
import * as nn from './nn';
import { grad } from './autodiff';
import { reduceSum } from './ops-reduce';
import { seedArb, shapeArb } from './testing/arbitraries';
import { checkOp, randomNd, rng, runGraph } from './testing/harness';
import * as ref from './testing/reference';

const RUNS = { numRuns: 10 };
const last = (x: ref.Nd): number => x.rank - 1;

function refRmsNorm(x: ref.Nd, w: ref.Nd, eps: number): ref.Nd {
  const ms = ref.reduce(
    ref.map(x, (v) => v * v),
    [last(x)],
    true,
    'mean',
  );
  return ref.zip(
    ref.zip(x, ms, (v, m) => v / Math.sqrt(m + eps)),
    w,
    (v, s) => v * s,
  );
}

function refLayerNorm(x: ref.Nd, w: ref.Nd, b: ref.Nd, eps: number): ref.Nd {
  const centered = ref.zip(x, ref.reduce(x, [last(x)], true, 'mean'), (v, m) => v - m);
  const variance = ref.reduce(
    ref.map(centered, (v) => v * v),
    [last(x)],
    true,
    'mean',
  );
  const normed = ref.zip(centered, variance, (v, s) => v / Math.sqrt(s + eps));
  return ref.zip(
    ref.zip(normed, w, (v, s) => v * s),
    b,
    (v, s) => v + s,
  );
}

/** Causal grouped-query attention, one (batch, head, query) row at a time. */
function refAttention(q: ref.Nd, k: ref.Nd, v: ref.Nd): ref.Nd {
  const [, heads, tq, d] = q.shape as [number, number, number, number];
  const [, kvHeads, tk] = k.shape as [number, number, number];
  const group = heads / kvHeads;
  return ref.fromFn([...q.shape], ([b, h, i, c]) => {
    const kv = Math.floor((h as number) / group);
    const visible = Array.from({ length: tk }, (_, j) => j).filter((j) => j <= (i as number) + tk - tq);
    const scores = visible.map((j) => {
      let s = 0;
      for (let e = 0; e < d; e++) s += q.at([b!, h!, i!, e]) * k.at([b!, kv, j, e]);
      return s / Math.sqrt(d);
    });
    const max = Math.max(...scores);
    const weights = scores.map((s) => Math.exp(s - max));
    const total = weights.reduce((a, w) => a + w, 0);
    return visible.reduce((acc, j, n) => acc + ((weights[n] as number) / total) * v.at([b!, kv, j, c!]), 0);
  });
}

describe('activations', () => {
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number, 'float64' | 'float32'][] = [
    ['silu', nn.silu, (v) => v / (1 + Math.exp(-v)), 'float64'],
    ['gelu (erf, float32 on ORT CPU)', nn.gelu, (v) => 0.5 * v * (1 + ref.erf(v / Math.SQRT2)), 'float32'],
    [
      'geluNew',
      nn.geluNew,
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
      'float64',
    ],
    ['softplus', nn.softplus, (v) => Math.log1p(Math.exp(v)), 'float64'],
    ['logSigmoid', nn.logSigmoid, (v) => -Math.log1p(Math.exp(-v)), 'float64'],
  ];
  for (const [name, op, f, dtype] of cases) {
    it(`${name}: forward and gradient`, async () => {
      await fc.assert(
        fc.asyncProperty(shapeArb(1, 3), seedArb, async (shape, seed) => {
          const random = rng(seed);
          await checkOp({
            inputs: [{ value: randomNd(shape, random, -4, 4) }],
            build: ([x]) => op(x!),
            reference: ([x]) => ref.map(x!, f),
            dtype,
            random,
          });
        }),
        RUNS,
      );
    });
  }

  it('logSigmoid: gradient 1/2 at exactly 0 (the first DPO step) and finite at +-200', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [3]);
    const loss = nn.logSigmoid(x);
    g.output('y', loss);
    const [dx] = grad(reduceSum(loss), [x]);
    g.output('dx', dx!);
    const out = await runGraph(g, {
      x: { dtype: 'float64', data: Float64Array.from([0, 200, -200]), dims: [3] },
    });
    const [y0, y1, y2] = out.y!.data;
    expect([y0, y2]).toEqual([-Math.log(2), -200]);
    expect(y1).toBeCloseTo(0, 12);
    const [d0, d1, d2] = out.dx!.data;
    expect([d0, d2]).toEqual([0.5, 1]);
    expect(d1! / Math.exp(-200)).toBeCloseTo(1, 12);
  });
});

describe('norms', () => {
  it('rmsNorm and layerNorm over the last dim', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 3), seedArb, async (shape, seed) => {
        const random = rng(seed);
        const c = shape[shape.length - 1] as number;
        const x = randomNd(shape, random);
        const w = randomNd([c], random);
        const b = randomNd([c], random);
        await checkOp({
          inputs: [{ value: x }, { value: w }],
          build: ([xs, ws]) => nn.rmsNorm(xs!, ws!, 1e-5),
          reference: ([xs, ws]) => refRmsNorm(xs!, ws!, 1e-5),
          dtype: 'float64',
          random,
        });
        await checkOp({
          inputs: [{ value: x }, { value: w }, { value: b }],
          build: ([xs, ws, bs]) => nn.layerNorm(xs!, ws!, bs!, 1e-5),
          reference: ([xs, ws, bs]) => refLayerNorm(xs!, ws!, bs!, 1e-5),
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });
});

describe('attention', () => {
  it('applyRope: rotate-half against the reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        seedArb,
        async (t, half, seed) => {
          const random = rng(seed);
          const d = 2 * half;
          const shape = [1, 2, t, d];
          const angles = randomNd([1, 1, t, d], random, -3, 3);
          await checkOp({
            inputs: [
              { value: randomNd(shape, random) },
              { value: ref.map(angles, Math.cos) },
              { value: ref.map(angles, Math.sin) },
            ],
            build: ([x, c, s]) => nn.applyRope(x!, c!, s!),
            reference: ([x, c, s]) => {
              const rotated = ref.fromFn(shape, (co) => {
                const i = co[3] as number;
                return i < half
                  ? -x!.at([...co.slice(0, 3), i + half])
                  : x!.at([...co.slice(0, 3), i - half]);
              });
              return ref.zip(
                ref.zip(x!, c!, (a, b) => a * b),
                ref.zip(rotated, s!, (a, b) => a * b),
                (a, b) => a + b,
              );
            },
            dtype: 'float64',
            random,
          });
        },
      ),
      RUNS,
    );
  });

  it('causal grouped-query attention, queries after a KV cache (Tq <= Tk)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom(1, 2),
        seedArb,
        async (tq, past, group, seed) => {
          const random = rng(seed);
          const kvHeads = 2;
          const tk = tq + past;
          await checkOp({
            inputs: [
              { value: randomNd([2, kvHeads * group, tq, 4], random) },
              { value: randomNd([2, kvHeads, tk, 4], random) },
              { value: randomNd([2, kvHeads, tk, 4], random) },
            ],
            build: ([q, k, v]) => nn.attention(q!, k!, v!, { causal: true }),
            reference: ([q, k, v]) => refAttention(q!, k!, v!),
            dtype: 'float64',
            random,
          });
        },
      ),
      RUNS,
    );
  });

  it('tokenLogProbs: log-softmax gathered at the targets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 6 }),
        seedArb,
        async (t, vocab, seed) => {
          const random = rng(seed);
          const targets = ref.map(randomNd([2, t], random, 0, vocab), Math.floor);
          await checkOp({
            inputs: [{ value: randomNd([2, t, vocab], random, -3, 3) }, { value: targets, kind: 'int64' }],
            build: ([logits, tg]) => nn.tokenLogProbs(logits!, tg!),
            reference: ([logits, tg]) => {
              const lp = ref.logSoftmax(logits!, 2);
              return ref.fromFn([2, t], ([b, i]) => lp.at([b!, i!, tg!.at([b!, i!])]));
            },
            dtype: 'float64',
            random,
          });
        },
      ),
      RUNS,
    );
  });
});
