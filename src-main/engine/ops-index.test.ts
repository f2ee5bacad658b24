// Indexing ops: gather (any axis, repeated indices) and gatherElements, forward and scatter-add gradients.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { argMax, gather, gatherElements } from './ops-index';
import { seedArb, shapeArb } from './testing/arbitraries';
import { checkOp, randomNd, rng } from './testing/harness';
import * as ref from './testing/reference';

const RUNS = { numRuns: 12 };

describe('indexing ops', () => {
  it('gather: random axis, index shape and repeated indices (gradients accumulate)', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 3), shapeArb(0, 2), seedArb, async (shape, indexShape, seed) => {
        const random = rng(seed);
        const axis = Math.floor(random() * shape.length);
        const d = shape[axis] as number;
        const indices = ref.map(randomNd(indexShape, random, 0, d), Math.floor);
        await checkOp({
          inputs: [{ value: randomNd(shape, random) }, { value: indices, kind: 'int64' }],
          build: ([x, i]) => gather(x!, i!, axis),
          reference: ([x, i]) => ref.gather(x!, i!, axis),
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });

  it('gatherElements: random axis and index extent', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb(1, 3),
        fc.integer({ min: 1, max: 4 }),
        seedArb,
        async (shape, picks, seed) => {
          const random = rng(seed);
          const axis = Math.floor(random() * shape.length);
          const indexShape = shape.map((d, i) => (i === axis ? picks : d));
          const indices = ref.map(randomNd(indexShape, random, 0, shape[axis] as number), Math.floor);
          await checkOp({
            inputs: [{ value: randomNd(shape, random) }, { value: indices, kind: 'int64' }],
            build: ([x, i]) => gatherElements(x!, i!, axis),
            reference: ([x, i]) => ref.gatherElements(x!, i!, axis),
            dtype: 'float64',
            random,
          });
        },
      ),
      RUNS,
    );
  });

  it('argMax: index of the largest value along the last axis', async () => {
    const random = rng(3);
    const x = randomNd([3, 5], random);
    await checkOp({
      inputs: [{ value: x }],
      build: ([v]) => argMax(v!, -1),
      reference: ([v]) =>
        ref.fromFn([3], ([row]) => {
          const values = Array.from({ length: 5 }, (_, j) => v!.at([row as number, j]));
          return values.indexOf(Math.max(...values));
        }),
      dtype: 'float64',
      grad: false,
      random,
    });
  });
});
