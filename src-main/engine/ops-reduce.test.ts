// Reductions, softmax / log-softmax and batched broadcasting matmul: forward and gradients.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as ops from './ops-reduce';
import { seedArb, shapeArb } from './testing/arbitraries';
import { checkOp, randomNd, rng } from './testing/harness';
import * as ref from './testing/reference';

const RUNS = { numRuns: 12 };

/** A random non-empty subset of the axes of a shape. */
function someAxes(rank: number, random: () => number): number[] {
  const axes = [...Array(rank).keys()].filter(() => random() < 0.5);
  return axes.length > 0 ? axes : [Math.floor(random() * rank)];
}

describe('reductions', () => {
  for (const kind of ['sum', 'mean', 'max'] as const) {
    const op = { sum: ops.reduceSum, mean: ops.reduceMean, max: ops.reduceMax }[kind];
    it(`reduce ${kind}: random axes, keepdims on and off`, async () => {
      await fc.assert(
        fc.asyncProperty(shapeArb(1, 3), fc.boolean(), seedArb, async (shape, keepdims, seed) => {
          const random = rng(seed);
          const axes = someAxes(shape.length, random);
          await checkOp({
            inputs: [{ value: randomNd(shape, random) }],
            build: ([x]) => op(x!, axes, keepdims),
            reference: ([x]) => ref.reduce(x!, axes, keepdims, kind),
            dtype: 'float64',
            random,
          });
        }),
        RUNS,
      );
    });
  }

  it('reduce max: ties share the gradient equally', async () => {
    const random = rng(11);
    await checkOp({
      inputs: [{ value: new ref.Nd([2, 3], Float64Array.from([1, 4, 4, 2, 0, 2])) }],
      build: ([x]) => ops.reduceMax(x!, [1]),
      reference: ([x]) => ref.reduce(x!, [1], false, 'max'),
      dtype: 'float64',
      grad: false,
      random,
    });
  });

  for (const [name, op, reference] of [
    ['softmax', ops.softmax, ref.softmax],
    ['logSoftmax', ops.logSoftmax, ref.logSoftmax],
  ] as const) {
    it(`${name}: random axis`, async () => {
      await fc.assert(
        fc.asyncProperty(shapeArb(1, 3), seedArb, async (shape, seed) => {
          const random = rng(seed);
          const axis = Math.floor(random() * shape.length);
          await checkOp({
            inputs: [{ value: randomNd(shape, random, -3, 3) }],
            build: ([x]) => op(x!, axis),
            reference: ([x]) => reference(x!, axis),
            dtype: 'float64',
            random,
          });
        }),
        RUNS,
      );
    });
  }
});

describe('matmul', () => {
  it('batched with broadcasting batch dims', async () => {
    const batchArb = fc.tuple(
      shapeArb(0, 2, 3),
      fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      fc.nat(2),
    );
    const dimsArb = fc.tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(batchArb, dimsArb, seedArb, async ([batch, ones, drop], [n, k, m], seed) => {
        const random = rng(seed);
        const other = batch.map((d, i) => (ones[i] ? 1 : d)).slice(Math.min(drop, batch.length));
        await checkOp({
          inputs: [
            { value: randomNd([...batch, n, k], random) },
            { value: randomNd([...other, k, m], random) },
          ],
          build: ([a, b]) => ops.matmul(a!, b!),
          reference: ([a, b]) => ref.matmul(a!, b!),
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });
});
