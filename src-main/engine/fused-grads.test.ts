// Custom gradients: the chunked LM head's log-probs (forward and d/dhidden computed together), the fused
// token log-prob rule, and recomputed blocks, each against float64 references and central differences, and
// the structure that makes them save memory (no backward node reads a recomputed block's own activations).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from './autodiff';
import { Graph, type Tensor } from './graph';
import { linearTokenLogProbs } from './nn';
import { mul, tanh } from './ops-elementwise';
import { matmul, reduceSum } from './ops-reduce';
import { recomputed } from './recompute';
import { seedArb } from './testing/arbitraries';
import { checkOp, randomNd, rng, toData } from './testing/harness';
import * as ref from './testing/reference';

const RUNS = { numRuns: 8 };

describe('linearTokenLogProbs (chunked LM head)', () => {
  it('log p(target) of selected rows in M chunks (softcapped or not), and its gradient to the hidden states', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }), // chunks
        fc.integer({ min: 1, max: 3 }), // rows per chunk
        fc.integer({ min: 2, max: 7 }), // vocab
        fc.constantFrom(null, 1.5), // Gemma's final logit softcap
        seedArb,
        async (chunks, size, vocab, softcap, seed) => {
          const random = rng(seed);
          const rows = 5;
          const width = 3;
          const weight = randomNd([vocab, width], random, -1, 1);
          // Positions may repeat (padding slots point at row 0): their gradients add up.
          const positions = ref.map(randomNd([chunks, size], random, 0, rows), Math.floor);
          const targets = ref.map(randomNd([chunks, size], random, 0, vocab), Math.floor);
          await checkOp({
            inputs: [
              { value: randomNd([rows, width], random, -2, 2) },
              { value: positions, kind: 'int64' },
              { value: targets, kind: 'int64' },
            ],
            build: ([hidden, pos, tg]) => {
              const w = hidden!.graph.constant(toData(weight, hidden!.dtype), weight.shape);
              return linearTokenLogProbs(hidden!, w, pos!, tg!, { softcap });
            },
            reference: ([hidden, pos, tg]) => {
              const raw = ref.matmul(hidden!, ref.transpose(weight, [1, 0])); // (R, V)
              const logits = softcap === null ? raw : ref.map(raw, (v) => softcap * Math.tanh(v / softcap));
              const lp = ref.logSoftmax(logits, 1);
              return ref.fromFn([chunks, size], ([m, k]) => lp.at([pos!.at([m!, k!]), tg!.at([m!, k!])]));
            },
            dtype: softcap === null ? 'float64' : 'float32', // ORT's Tanh is not exact to 1e-9 in float64
            random,
          });
        },
      ),
      RUNS,
    );
  });

  it('refuses loudly to train the head it treats as frozen', () => {
    const g = new Graph();
    const hidden = g.input('h', 'float32', [4, 3]);
    const weight = g.param('w', new Float32Array(15), [5, 3], { trainable: true });
    const pos = g.input('p', 'int64', [2, 'k']);
    const logps = linearTokenLogProbs(hidden, weight, pos, g.input('t', 'int64', [2, 'k']));
    expect(() => grad(reduceSum(logps), [weight])).toThrow(/no gradient for its input 1/);
  });
});

/** A block with a weight from outside: y = tanh(x W) * x. */
const block = (w: Tensor) => (x: Tensor) => mul(tanh(matmul(x, w)), x);
const refBlock = (x: ref.Nd, w: ref.Nd): ref.Nd =>
  ref.zip(ref.map(ref.matmul(x, w), Math.tanh), x, (a, b) => a * b);

describe('recomputed blocks', () => {
  it('two recomputed blocks give the gradients of the plain ones (input and weights)', async () => {
    await fc.assert(
      fc.asyncProperty(seedArb, async (seed) => {
        const random = rng(seed);
        await checkOp({
          inputs: [
            { value: randomNd([2, 3], random) },
            { value: randomNd([3, 3], random, -1, 1) },
            { value: randomNd([3, 3], random, -1, 1) },
          ],
          build: ([x, w1, w2]) => recomputed(recomputed(x!, block(w1!)), block(w2!)),
          reference: ([x, w1, w2]) => refBlock(refBlock(x!, w1!), w2!),
          dtype: 'float64',
          random,
        });
      }),
      RUNS,
    );
  });

  it('the backward pass reads no activation of the original block, only the copy', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.param('w', new Float32Array(9), [3, 3], { trainable: true });
    const start = g.nodes.length;
    const y = recomputed(x, block(w));
    const inside = new Set(g.nodes.slice(start, y.node.id).flatMap((n) => (n.leaf ? [] : n.outputs)));
    const loss = reduceSum(y);
    const backwardFrom = g.nodes.length;
    const [gw] = grad(loss, [w]);
    const readers = g.nodes.slice(backwardFrom).filter((n) => n.inputs.some((t) => inside.has(t)));
    expect(readers).toEqual([]);
    expect(gw?.shape).toEqual([3, 3]);
    // The copy recomputes the MatMul, Tanh and Mul of the block.
    const ops = g.nodes.slice(backwardFrom).map((n) => n.op);
    expect(ops.filter((op) => op === 'Tanh')).toHaveLength(1);
  });
});
