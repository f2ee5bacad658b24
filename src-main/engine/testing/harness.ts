// Test-only harness: runs emitted graphs in onnxruntime-node (CPU) and checks ops forward against the
// float64 reference and backward against central finite differences of that reference.
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { grad } from '../autodiff';
import type { DType, TensorData } from '../dtype';
import { emitModel } from '../emit';
import { Graph, type Tensor } from '../graph';
import { mul } from '../ops-elementwise';
import { reduceSum } from '../ops-reduce';
import { Nd, size } from './reference';

export interface Fed {
  dtype: DType;
  data: TensorData;
  dims: readonly number[];
}

export interface RunResult {
  data: Float64Array;
  dims: number[];
}

const ORT_TYPE = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  bfloat16: 'uint16', // never fed: bf16 enters a graph as uint16 words (see dtype.ts)
  uint16: 'uint16',
  int64: 'int64',
  bool: 'bool',
} as const;

/** Runs the graph's outputs on ORT CPU from an in-memory model. */
export async function runGraph(graph: Graph, feeds: Record<string, Fed>): Promise<Record<string, RunResult>> {
  const { model } = emitModel(graph);
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, fed] of Object.entries(feeds))
      ortFeeds[name] = new ort.Tensor(ORT_TYPE[fed.dtype], fed.data, fed.dims);
    const outputs = await session.run(ortFeeds);
    const result: Record<string, RunResult> = {};
    for (const [name, t] of Object.entries(outputs)) {
      const values = t.data as ArrayLike<number | bigint>;
      result[name] = { data: Float64Array.from(values, Number), dims: [...t.dims] };
    }
    return result;
  } finally {
    await session.release();
  }
}

/** mulberry32: a small seeded PRNG so property runs are reproducible from fast-check's seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomNd(shape: number[], random: () => number, low = -2, high = 2): Nd {
  return new Nd(
    shape,
    Float64Array.from({ length: size(shape) }, () => low + (high - low) * random()),
  );
}

export function toData(x: Nd, dtype: DType): TensorData {
  if (dtype === 'float32') return Float32Array.from(x.data);
  if (dtype === 'int64') return BigInt64Array.from(x.data, (v) => BigInt(v));
  if (dtype === 'bool') return Uint8Array.from(x.data);
  return Float64Array.from(x.data);
}

export interface OpInput {
  value: Nd;
  /** 'float' follows the case's dtype; int64 and bool inputs are not differentiated. */
  kind?: 'float' | 'int64' | 'bool';
}

export interface OpCase {
  inputs: OpInput[];
  build: (xs: Tensor[]) => Tensor;
  reference: (xs: Nd[]) => Nd;
  /** float64 where ORT CPU implements the op in double, float32 otherwise (with looser tolerances). */
  dtype: 'float64' | 'float32';
  /** Check gradients of every float input (default true). */
  grad?: boolean;
  random: () => number;
}

const TOLERANCE = {
  float64: { forward: 1e-9, grad: 1e-6 },
  float32: { forward: 1e-5, grad: 2e-3 },
};

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      throw new Error(`${what}: element ${i} is ${a}, expected ${e} (tolerance ${tol})`);
    }
  }
}

/**
 * Builds loss = sum(op(xs) * w) for a random w, emits forward and gradients, runs them on ORT, and compares
 * the output with the reference and each input gradient with central differences of the reference loss.
 */
export async function checkOp(c: OpCase): Promise<void> {
  const g = new Graph();
  const kinds = c.inputs.map((x) => x.kind ?? 'float');
  const dtypes = kinds.map((k): DType => (k === 'float' ? c.dtype : k));
  const xs = c.inputs.map((x, i) => g.input(`x${i}`, dtypes[i] as DType, x.value.shape));
  const y = c.build(xs);
  const expected = c.reference(c.inputs.map((x) => x.value));
  expect(y.shape, 'static shape').toEqual(expected.shape);
  g.output('y', y);

  const weights = randomNd(expected.shape, c.random);
  const floatIndices = kinds.flatMap((k, i) => (k === 'float' ? [i] : []));
  const checkGrad = c.grad ?? true;
  if (checkGrad) {
    const loss = reduceSum(mul(y, g.constant(toData(weights, c.dtype), weights.shape)));
    const grads = grad(
      loss,
      floatIndices.map((i) => xs[i] as Tensor),
    );
    grads.forEach((gx, k) => g.output(`g${floatIndices[k]}`, gx));
  }

  const feeds: Record<string, Fed> = {};
  c.inputs.forEach(
    (x, i) =>
      (feeds[`x${i}`] = {
        dtype: dtypes[i] as DType,
        data: toData(x.value, dtypes[i] as DType),
        dims: x.value.shape,
      }),
  );
  const result = await runGraph(g, feeds);
  const tol = TOLERANCE[c.dtype];
  expectClose(result.y!.data, expected.data, tol.forward, 'forward');
  if (!checkGrad) return;

  const lossAt = (values: Nd[]): number => {
    const out = c.reference(values);
    return out.data.reduce((s, v, i) => s + v * (weights.data[i] as number), 0);
  };
  const h = 1e-6;
  for (const i of floatIndices) {
    const base = c.inputs.map((x) => x.value);
    const x = base[i] as Nd;
    const numeric = new Float64Array(x.data.length);
    for (let j = 0; j < x.data.length; j++) {
      const bumped = (delta: number): Nd[] => {
        const data = Float64Array.from(x.data);
        data[j] = (data[j] as number) + delta;
        return base.map((v, k) => (k === i ? new Nd(x.shape, data) : v));
      };
      numeric[j] = (lossAt(bumped(h)) - lossAt(bumped(-h))) / (2 * h);
    }
    expectClose(result[`g${i}`]!.data, numeric, tol.grad, `gradient of input ${i}`);
  }
}

/**
 * Whole-graph gradient check in float64: emits loss and grad(loss, params) once, then compares each
 * gradient element with central differences of the loss from the same session at perturbed feeds.
 */
export async function checkGraphGradients(
  graph: Graph,
  loss: Tensor,
  params: readonly Tensor[],
  feeds: Record<string, Fed>,
  tolerance = 1e-6,
): Promise<void> {
  graph.output('loss', loss);
  grad(loss, params).forEach((g, i) => graph.output(`grad${i}`, g));
  const session = await ort.InferenceSession.create(emitModel(graph).model, { executionProviders: ['cpu'] });
  try {
    const run = async (values: Record<string, Fed>): Promise<Record<string, ort.Tensor>> => {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, fed] of Object.entries(values))
        ortFeeds[name] = new ort.Tensor(ORT_TYPE[fed.dtype], fed.data, fed.dims);
      return session.run(ortFeeds);
    };
    const analytic = await run(feeds);
    const h = 1e-6;
    for (const [i, p] of params.entries()) {
      const fed = feeds[p.name];
      if (!fed || !(fed.data instanceof Float64Array))
        throw new Error(`checkGraphGradients: feed ${p.name} as float64`);
      const numeric = new Float64Array(fed.data.length);
      for (let j = 0; j < fed.data.length; j++) {
        const lossAt = async (delta: number): Promise<number> => {
          const data = Float64Array.from(fed.data as Float64Array);
          data[j] = (data[j] as number) + delta;
          const out = await run({ ...feeds, [p.name]: { ...fed, data } });
          return (out.loss!.data as Float64Array)[0] as number;
        };
        numeric[j] = ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
      }
      expectClose(analytic[`grad${i}`]!.data as Float64Array, numeric, tolerance, `gradient of ${p.name}`);
    }
  } finally {
    await session.release();
  }
}
