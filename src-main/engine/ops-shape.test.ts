// Shape ops: forward vs the float64 reference and gradients vs finite differences, on random shapes.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as ops from './ops-shape';
import { seedArb, shapeArb } from './testing/arbitraries';
import { checkOp, randomNd, rng } from './testing/harness';
import * as ref from './testing/reference';

const RUNS = { numRuns: 12 };

/** A random permutation of 0..n-1 driven by the case's PRNG. */
function permutation(n: number, random: () => number): number[] {
  const perm = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
  }
  return perm;
}

describe('shape ops', () => {
  it('reshape: to a permuted factorization, with one inferred -1', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 4), seedArb, async (shape, seed) => {
        const random = rng(seed);
        const target: number[] = permutation(shape.length, random).map((i) => shape[i] as number);
        const inferred = Math.floor(random() * target.length);
        const spec = target.map((d, i) => (i === inferred ? -1 : d));
        await checkOp({
          inputs: [{ value: randomNd(shape, random) }],
          build: ([x]) => ops.reshape(x!, spec),
          reference: ([x]) => new ref.Nd(target, x!.data),
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });

  it('transpose: random permutations', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 4), seedArb, async (shape, seed) => {
        const random = rng(seed);
        const perm = permutation(shape.length, random);
        await checkOp({
          inputs: [{ value: randomNd(shape, random) }],
          build: ([x]) => ops.transpose(x!, perm),
          reference: ([x]) => ref.transpose(x!, perm),
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });

  it('expand: size-1 dims stretched and new leading dims', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb(1, 3),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        seedArb,
        async (target, ones, seed) => {
          const random = rng(seed);
          const source = target.map((d, i) => (ones[i] ? 1 : d)).slice(Math.floor(random() * target.length));
          await checkOp({
            inputs: [{ value: randomNd(source, random) }],
            build: ([x]) => ops.expand(x!, target),
            reference: ([x]) => ref.expand(x!, target),
            dtype: 'float64',
            random,
          });
        },
      ),
      RUNS,
    );
  });

  it('slice: random axis and bounds, negative ones included', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 3, 5), seedArb, async (shape, seed) => {
        const random = rng(seed);
        const axis = Math.floor(random() * shape.length);
        const d = shape[axis] as number;
        const start = Math.floor(random() * d);
        const end = start + 1 + Math.floor(random() * (d - start));
        const negative = random() < 0.5;
        await checkOp({
          inputs: [{ value: randomNd(shape, random) }],
          build: ([x]) =>
            negative
              ? ops.slice(x!, axis - shape.length, start - d, end === d ? undefined : end - d)
              : ops.slice(x!, axis, start, end),
          reference: ([x]) => ref.slice(x!, axis, start, end),
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });

  it('concat: two or three tensors along a random axis', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb(1, 3),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }),
        seedArb,
        async (shape, sizes, seed) => {
          const random = rng(seed);
          const axis = Math.floor(random() * shape.length);
          const parts = sizes.map((n) =>
            randomNd(
              shape.map((d, i) => (i === axis ? n : d)),
              random,
            ),
          );
          await checkOp({
            inputs: parts.map((value) => ({ value })),
            build: (xs) => ops.concat(xs, axis),
            reference: (xs) => ref.concat(xs, axis),
            dtype: 'float64',
            random,
          });
        },
      ),
      RUNS,
    );
  });

  it('unsqueeze then squeeze, and transposeLast', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(2, 3), seedArb, async (shape, seed) => {
        const random = rng(seed);
        const axis = Math.floor(random() * (shape.length + 1));
        const withOne = [...shape.slice(0, axis), 1, ...shape.slice(axis)];
        await checkOp({
          inputs: [{ value: randomNd(shape, random) }],
          build: ([x]) => ops.transposeLast(ops.squeeze(ops.unsqueeze(x!, [axis]), [axis])),
          reference: ([x]) => {
            const perm = [...shape.keys()];
            perm.splice(-2, 2, shape.length - 1, shape.length - 2);
            return ref.transpose(
              new ref.Nd(
                withOne.filter((_, i) => i !== axis),
                x!.data,
              ),
              perm,
            );
          },
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });
});
