// Elementwise ops: forward vs the float64 reference and gradients vs finite differences, with broadcasting.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from './autodiff';
import { Graph, type Tensor } from './graph';
import * as ops from './ops-elementwise';
import { reduceSum } from './ops-reduce';
import { broadcastPairArb, seedArb, shapeArb } from './testing/arbitraries';
import { checkOp, randomNd, rng, runGraph } from './testing/harness';
import * as ref from './testing/reference';

const RUNS = { numRuns: 12 };

type Binary = (a: Tensor, b: Tensor) => Tensor;
const binaries: [string, Binary, (a: number, b: number) => number][] = [
  ['add', ops.add, (a, b) => a + b],
  ['sub', ops.sub, (a, b) => a - b],
  ['mul', ops.mul, (a, b) => a * b],
  ['div', ops.div, (a, b) => a / b],
  ['maximum', ops.maximum, Math.max],
  ['minimum', ops.minimum, Math.min],
];

describe('binary elementwise ops', () => {
  for (const [name, op, f] of binaries) {
    it(`${name}: forward and gradient with broadcasting (float64)`, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastPairArb(), seedArb, async ([sa, sb], seed) => {
          const random = rng(seed);
          // Divisors stay away from zero, where finite differences break down.
          const b =
            name === 'div'
              ? ref.map(randomNd(sb, random, 0.5, 2), (v) => (random() < 0.5 ? -v : v))
              : randomNd(sb, random);
          await checkOp({
            inputs: [{ value: randomNd(sa, random) }, { value: b }],
            build: ([x, y]) => op(x!, y!),
            reference: ([x, y]) => ref.zip(x!, y!, f),
            dtype: 'float64',
            random,
          });
        }),
        RUNS,
      );
    });
  }
});

type Unary = (x: Tensor) => Tensor;
const unaries: [string, Unary, (v: number) => number, [number, number], 'float64' | 'float32'][] = [
  ['neg', ops.neg, (v) => -v, [-2, 2], 'float64'],
  ['exp', ops.exp, Math.exp, [-2, 2], 'float64'],
  ['log', ops.log, Math.log, [0.1, 3], 'float64'],
  ['sqrt', ops.sqrt, Math.sqrt, [0.1, 3], 'float64'],
  ['pow 3', (x) => ops.pow(x, 3), (v) => v ** 3, [-2, 2], 'float64'],
  ['pow -0.5', (x) => ops.pow(x, -0.5), (v) => v ** -0.5, [0.2, 3], 'float64'],
  // ORT CPU implements Erf in float32 only.
  ['erf', ops.erf, ref.erf, [-2, 2], 'float32'],
  ['tanh', ops.tanh, Math.tanh, [-2, 2], 'float64'],
  ['sigmoid', ops.sigmoid, (v) => 1 / (1 + Math.exp(-v)), [-3, 3], 'float64'],
  ['relu', ops.relu, (v) => Math.max(v, 0), [-2, 2], 'float64'],
  ['abs', ops.abs, Math.abs, [-2, 2], 'float64'],
  ['sin', ops.sin, Math.sin, [-3, 3], 'float64'],
  ['cos', ops.cos, Math.cos, [-3, 3], 'float64'],
  [
    'cast to float64 and back',
    (x) => ops.cast(ops.cast(x, 'float64'), 'float32'),
    (v) => v,
    [-2, 2],
    'float32',
  ],
];

describe('unary elementwise ops', () => {
  for (const [name, op, f, [low, high], dtype] of unaries) {
    it(`${name}: forward and gradient (${dtype})`, async () => {
      await fc.assert(
        fc.asyncProperty(shapeArb(), seedArb, async (shape, seed) => {
          const random = rng(seed);
          await checkOp({
            inputs: [{ value: randomNd(shape, random, low, high) }],
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
});

describe('where, comparisons and casts', () => {
  it('where: forward and gradient for both branches, broadcasting condition and branches', async () => {
    await fc.assert(
      fc.asyncProperty(broadcastPairArb(), seedArb, async ([sa, sb], seed) => {
        const random = rng(seed);
        const cond = ref.map(randomNd(sa, random), (v) => (v > 0 ? 1 : 0));
        await checkOp({
          inputs: [
            { value: cond, kind: 'bool' },
            { value: randomNd(sb, random) },
            { value: randomNd(sa, random) },
          ],
          build: ([c, a, b]) => ops.where(c!, a!, b!),
          reference: ([c, a, b]) => ref.where(c!, a!, b!),
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });

  const comparisons: [string, Binary, (a: number, b: number) => boolean][] = [
    ['less', ops.less, (a, b) => a < b],
    ['lessOrEqual', ops.lessOrEqual, (a, b) => a <= b],
    ['greater', ops.greater, (a, b) => a > b],
    ['equal', ops.equal, (a, b) => a === b],
  ];
  for (const [name, op, f] of comparisons) {
    it(`${name}: forward on small integers so that ties occur`, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastPairArb(), seedArb, async ([sa, sb], seed) => {
          const random = rng(seed);
          const ints = (shape: number[]) => ref.map(randomNd(shape, random, 0, 3), Math.floor);
          await checkOp({
            inputs: [{ value: ints(sa) }, { value: ints(sb) }],
            build: ([x, y]) => op(x!, y!),
            reference: ([x, y]) => ref.zip(x!, y!, (a, b) => (f(a, b) ? 1 : 0)),
            dtype: 'float64',
            grad: false,
            random,
          });
        }),
        RUNS,
      );
    });
  }

  it('cast int64 -> float64 and logical ops', async () => {
    const random = rng(7);
    const x = ref.map(randomNd([2, 3], random, -5, 5), Math.floor);
    await checkOp({
      inputs: [{ value: x, kind: 'int64' }],
      build: ([v]) => ops.cast(v!, 'float64'),
      reference: ([v]) => v!,
      dtype: 'float64',
      grad: false,
      random,
    });
    await checkOp({
      inputs: [
        { value: ref.map(x, (v) => (v > 0 ? 1 : 0)), kind: 'bool' },
        { value: ref.map(x, (v) => (v % 2 === 0 ? 1 : 0)), kind: 'bool' },
      ],
      build: ([a, b]) => ops.logicalAnd(ops.logicalNot(a!), b!),
      reference: ([a, b]) => ref.zip(a!, b!, (p, q) => (!p && q ? 1 : 0)),
      dtype: 'float64',
      grad: false,
      random,
    });
  });
});

describe('stopGradient', () => {
  it("passes the value and blocks the gradient: d/dx (x * stop(x)) = stop(x), not 2x (torch's detach)", async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [3]);
    const loss = ops.mul(x, ops.stopGradient(x));
    const [dx] = grad(reduceSum(loss), [x]);
    g.output('value', ops.stopGradient(x));
    g.output('dx', dx!);
    const out = await runGraph(g, { x: { dtype: 'float64', data: Float64Array.of(1, -2, 3), dims: [3] } });
    expect([...out.value!.data]).toEqual([1, -2, 3]);
    expect([...out.dx!.data]).toEqual([1, -2, 3]);
  });
});
