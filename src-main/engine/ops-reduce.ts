// Reductions, softmax / log-softmax and batched matmul.
import { isFloat } from './dtype';
import { int, type Tensor } from './graph';
import { broadcastShapes, dimsEqual, formatShape, normalizeAxes, normalizeAxis, type Dim } from './shape';
import { int64s } from './ops-shape';

function reduce(
  name: string,
  op: string,
  x: Tensor,
  axes: readonly number[] | undefined,
  keepdims: boolean,
): Tensor {
  const resolved = normalizeAxes(name, axes ?? x.shape.map((_, i) => i), x.rank);
  const shape = keepdims
    ? x.shape.map((d, i) => (resolved.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !resolved.includes(i));
  const attrs = { keepdims: int(keepdims ? 1 : 0) };
  return x.graph.apply1(op, [x, int64s(x.graph, resolved)], attrs, x.dtype, shape);
}

/** Sum over `axes` (all axes when undefined). */
export const reduceSum = (x: Tensor, axes?: readonly number[], keepdims = false): Tensor =>
  reduce('reduceSum', 'ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Tensor, axes?: readonly number[], keepdims = false): Tensor =>
  reduce('reduceMean', 'ReduceMean', x, axes, keepdims);
export const reduceMax = (x: Tensor, axes?: readonly number[], keepdims = false): Tensor =>
  reduce('reduceMax', 'ReduceMax', x, axes, keepdims);

export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('softmax', axis, x.rank);
  return x.graph.apply1('Softmax', [x], { axis: int(a) }, x.dtype, x.shape);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('logSoftmax', axis, x.rank);
  return x.graph.apply1('LogSoftmax', [x], { axis: int(a) }, x.dtype, x.shape);
}

/** Batched matrix product: (..., n, k) x (..., k, m) -> (..., n, m), batch dims broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const where = `${formatShape(a.shape)} x ${formatShape(b.shape)}`;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: operands must be at least 2-D: ${where}`);
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ: ${a.dtype} and ${b.dtype}`);
  if (!isFloat(a.dtype)) throw new Error(`matmul: needs float tensors, got ${a.dtype}`);
  const k1 = a.shape[a.rank - 1] as Dim;
  const k2 = b.shape[b.rank - 2] as Dim;
  if (!dimsEqual(k1, k2)) throw new Error(`matmul: inner dims differ: ${where}`);
  let batch: Dim[];
  try {
    batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new Error(`matmul: batch dims do not broadcast: ${where}`);
  }
  const shape = [...batch, a.shape[a.rank - 2] as Dim, b.shape[b.rank - 1] as Dim];
  return a.graph.apply1('MatMul', [a, b], {}, a.dtype, shape);
}
