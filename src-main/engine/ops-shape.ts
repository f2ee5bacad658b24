// Shape ops: reshape, transpose, expand, slice, concat, (un)squeeze, pad, and run-time shape tensors.
import { int, ints, type Tensor } from './graph';
import {
  addDims,
  broadcastShapes,
  dimsEqual,
  divDims,
  formatShape,
  normalizeAxes,
  normalizeAxis,
  numel,
  type Dim,
  type Shape,
} from './shape';

const INT64_MAX = 9223372036854775807n;

/** A 1-D int64 constant, the form ONNX wants for shapes, axes, starts and pads. */
export function int64s(graph: Tensor['graph'], values: readonly (number | bigint)[]): Tensor {
  return graph.constant(
    BigInt64Array.from(values, (v) => BigInt(v)),
    [values.length],
  );
}

/** The run-time shape of x as an int64 vector (ONNX Shape), optionally of dims [start, end). */
export function shapeOf(x: Tensor, start = 0, end = x.rank): Tensor {
  return x.graph.apply1('Shape', [x], { start: int(start), end: int(end) }, 'int64', [end - start]);
}

/** One dim of x as an int64 vector of length 1: a constant when known, else read at run time. */
export function dimOf(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('dimOf', axis, x.rank);
  const d = x.shape[a] as Dim;
  return typeof d === 'number' ? int64s(x.graph, [d]) : shapeOf(x, a, a + 1);
}

/**
 * Reshape to `dims`, which may hold one -1 (inferred) and symbolic names. A symbolic dim equal to the input
 * dim at the same index is emitted as 0 (copy); any other symbolic dim becomes ONNX's single -1.
 */
export function reshape(x: Tensor, dims: readonly Dim[]): Tensor {
  const target = [...dims];
  const inferredAt = target.indexOf(-1);
  if (target.lastIndexOf(-1) !== inferredAt)
    throw new Error(`reshape: more than one -1 in ${formatShape(dims)}`);
  if (inferredAt >= 0) {
    const known = numel(target.filter((_, i) => i !== inferredAt));
    const inferred = divDims(numel(x.shape), known);
    if (inferred === undefined) {
      throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(dims)}`);
    }
    target[inferredAt] = inferred;
  }
  if (!dimsEqual(numel(x.shape), numel(target))) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(dims)}: sizes differ`);
  }
  const spec = target.map((d, i) => {
    if (typeof d === 'number') return d;
    return i < x.rank && dimsEqual(d, x.shape[i] as Dim) ? 0 : -1;
  });
  if (spec.filter((d) => d === -1).length > 1) {
    throw new Error(
      `reshape: ${formatShape(x.shape)} -> ${formatShape(target)} needs more than one run-time dim; ` +
        `reshape in two steps or use reshapeLike`,
    );
  }
  return x.graph.apply1('Reshape', [x, int64s(x.graph, spec)], {}, x.dtype, target);
}

/** Reshape x to the run-time shape of `like` (used by gradient rules). */
export function reshapeLike(x: Tensor, like: Tensor): Tensor {
  if (!dimsEqual(numel(x.shape), numel(like.shape))) {
    throw new Error(`reshapeLike: sizes differ: ${formatShape(x.shape)} and ${formatShape(like.shape)}`);
  }
  return x.graph.apply1('Reshape', [x, shapeOf(like)], {}, x.dtype, like.shape);
}

/** Permute dims; the default reverses them. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  const sorted = [...p].sort((a, b) => a - b);
  if (p.length !== x.rank || sorted.some((v, i) => v !== i)) {
    throw new Error(
      `transpose: perm [${p.join(',')}] is not a permutation of rank ${x.rank} ${formatShape(x.shape)}`,
    );
  }
  const shape = p.map((i) => x.shape[i] as Dim);
  return x.graph.apply1('Transpose', [x], { perm: ints(p) }, x.dtype, shape);
}

/** Swap the last two dims (matrix transpose of a batch). */
export function transposeLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return transpose(x, perm);
}

/** Broadcast x to `dims` (numpy rules). New symbolic dims need `expandAs`, which reads them at run time. */
export function expand(x: Tensor, dims: readonly Dim[]): Tensor {
  const shape = broadcastShapes('expand', x.shape, dims);
  if (!dimsEqual(numel(shape), numel(dims)) || shape.length !== dims.length) {
    throw new Error(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(dims)}`);
  }
  const spec = dims.map((d, i) => {
    const inputDim = x.shape[i - (dims.length - x.rank)];
    if (inputDim !== undefined && dimsEqual(inputDim, d)) return 1;
    if (typeof d === 'number') return d;
    throw new Error(`expand: new symbolic dim ${d} in ${formatShape(dims)}; use expandAs`);
  });
  return x.graph.apply1('Expand', [x, int64s(x.graph, spec)], {}, x.dtype, shape);
}

/** Broadcast x to the run-time shape of `like`. */
export function expandAs(x: Tensor, like: Tensor): Tensor {
  const shape = broadcastShapes('expandAs', x.shape, like.shape);
  return x.graph.apply1('Expand', [x, shapeOf(like)], {}, x.dtype, shape);
}

/** The static length of x[start:end] along a dim (python slice semantics, step 1). */
function slicedDim(d: Dim, start: number, end: number | undefined): Dim {
  if (typeof d === 'number') {
    const resolve = (i: number): number => Math.min(Math.max(i < 0 ? i + d : i, 0), d);
    return Math.max(resolve(end ?? d) - resolve(start), 0);
  }
  if (start >= 0 && end === undefined) return addDims(d, -start);
  if (start >= 0 && end !== undefined && end < 0) return addDims(d, end - start);
  if (start >= 0 && end !== undefined) return end - start;
  if (end === undefined) return -start;
  if (end < 0) return Math.max(end - start, 0);
  throw new Error(`slice: [${start}:${end}] of symbolic dim ${d} has no static length`);
}

/** x[..., start:end, ...] along one axis; `end` undefined means to the end. */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normalizeAxis('slice', axis, x.rank);
  const shape = [...x.shape];
  shape[a] = slicedDim(x.shape[a] as Dim, start, end);
  const g = x.graph;
  const ends = int64s(g, [end ?? INT64_MAX]);
  return g.apply1('Slice', [x, int64s(g, [start]), ends, int64s(g, [a])], {}, x.dtype, shape);
}

/** Slice with run-time bounds (int64 vectors of length 1); the caller states the result shape. */
export function sliceDynamic(x: Tensor, axis: number, start: Tensor, end: Tensor, shape: Shape): Tensor {
  const a = normalizeAxis('sliceDynamic', axis, x.rank);
  return x.graph.apply1('Slice', [x, start, end, int64s(x.graph, [a])], {}, x.dtype, shape);
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (!first) throw new Error('concat: needs at least one tensor');
  const a = normalizeAxis('concat', axis, first.rank);
  for (const x of xs) {
    const same =
      x.rank === first.rank && x.shape.every((d, i) => i === a || dimsEqual(d, first.shape[i] as Dim));
    if (!same) {
      throw new Error(
        `concat: shapes differ outside axis ${a}: ${formatShape(first.shape)} and ${formatShape(x.shape)}`,
      );
    }
    if (x.dtype !== first.dtype) throw new Error(`concat: dtypes differ: ${first.dtype} and ${x.dtype}`);
  }
  const dims = xs.map((x) => x.shape[a] as Dim);
  const shape = [...first.shape];
  shape[a] = dims.every((d) => typeof d === 'number')
    ? dims.reduce<number>((s, d) => s + (d as number), 0)
    : dims.join('+');
  return first.graph.apply1('Concat', xs, { axis: int(a) }, first.dtype, shape);
}

/** Insert size-1 dims at `axes` (positions in the result). */
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.rank + axes.length;
  const resolved = normalizeAxes('unsqueeze', axes, rank);
  const shape: Dim[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) shape.push(resolved.includes(i) ? 1 : (x.shape[next++] as Dim));
  return x.graph.apply1('Unsqueeze', [x, int64s(x.graph, resolved)], {}, x.dtype, shape);
}

/** Remove size-1 dims at `axes`. */
export function squeeze(x: Tensor, axes: readonly number[]): Tensor {
  const resolved = normalizeAxes('squeeze', axes, x.rank);
  for (const a of resolved) {
    if (x.shape[a] !== 1) throw new Error(`squeeze: dim ${a} of ${formatShape(x.shape)} is not 1`);
  }
  const shape = x.shape.filter((_, i) => !resolved.includes(i));
  return x.graph.apply1('Squeeze', [x, int64s(x.graph, resolved)], {}, x.dtype, shape);
}

/** Zero padding; `pads` is ONNX's int64 [begin_0..begin_n, end_0..end_n]. The caller states the shape. */
export function padZeros(x: Tensor, pads: Tensor, shape: Shape): Tensor {
  return x.graph.apply1('Pad', [x, pads], {}, x.dtype, shape);
}
