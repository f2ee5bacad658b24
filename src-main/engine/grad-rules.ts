// The gradient table: one short rule per primitive op, written in DSL ops, so the backward pass is a graph.
// A rule gets the output's gradient g, the output and the op's inputs, and returns one gradient per input
// (undefined for inputs that are not differentiable: indices, shapes, conditions).
import { isFloat } from './dtype';
import { intAttr, intsAttr, type Tensor } from './graph';
import {
  add,
  cast,
  cos,
  div,
  equal,
  exp,
  greater,
  less,
  mul,
  neg,
  pow,
  sign,
  sin,
  sub,
  where,
} from './ops-elementwise';
import { scatterElementsAdd, scatterNDAdd, zerosLike } from './ops-index';
import { matmul, reduceSum } from './ops-reduce';
import {
  concat,
  dimOf,
  expandAs,
  int64s,
  padZeros,
  reshapeLike,
  slice,
  sliceDynamic,
  transpose,
  transposeLast,
  unsqueeze,
} from './ops-shape';
import { reduceToShape } from './reduce-to-shape';
import type { Dim } from './shape';

export type GradRule = (g: Tensor, out: Tensor, inputs: readonly Tensor[]) => (Tensor | undefined)[];

/** The values of a constant int64 tensor (axes, starts, ends), which every shape-op rule needs. */
function constInts(t: Tensor | undefined, what: string): number[] {
  const leaf = t?.node.leaf;
  if (!leaf || leaf.kind !== 'constant' || !(leaf.data instanceof BigInt64Array)) {
    throw new Error(`grad: ${what} must be an int64 constant`);
  }
  return Array.from(leaf.data, (v) => (v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v)));
}

/** The inverse of a permutation. */
function invert(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

/** An int64 vector from numbers and run-time int64 [1] pieces; a constant when every piece is known. */
function int64Vector(graph: Tensor['graph'], pieces: readonly (number | Tensor)[]): Tensor {
  if (pieces.every((p) => typeof p === 'number')) return int64s(graph, pieces as number[]);
  return concat(
    pieces.map((p) => (typeof p === 'number' ? int64s(graph, [p]) : p)),
    0,
  );
}

/** Gradient of a reduction's output (keepdims or not) brought back to the input's rank. */
function keepDims(g: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
  return keepdims ? g : unsqueeze(g, axes);
}

/** The number of elements a reduction averaged over, as a scalar of x's dtype (read at run time if needed). */
function reducedCount(x: Tensor, axes: readonly number[]): Tensor {
  const dims = axes.map((a) => x.shape[a] as Dim);
  if (dims.every((d) => typeof d === 'number')) {
    return x.graph.scalar(
      dims.reduce<number>((p, d) => p * (d as number), 1),
      x.dtype,
    );
  }
  const count = axes.map((a) => dimOf(x, a)).reduce((p, d) => mul(p, d));
  return cast(count, x.dtype);
}

/** The number of positions padded before and after a slice of `x` along one axis, for its gradient. */
function slicePads(x: Tensor, axis: number, start: Tensor, end: Tensor): [number | Tensor, number | Tensor] {
  const d = x.shape[axis] as Dim;
  const startLeaf = start.node.leaf?.kind === 'constant';
  const endLeaf = end.node.leaf?.kind === 'constant';
  // sliceDynamic's bounds are non-negative run-time positions, so begin = start and after = dim - end.
  if (!startLeaf || !endLeaf) return [start, sub(dimOf(x, axis), end)];
  const s = constInts(start, 'slice start')[0] as number;
  const e = constInts(end, 'slice end')[0] as number;
  if (typeof d === 'number') {
    const resolve = (i: number): number => Math.min(Math.max(i < 0 ? i + d : i, 0), d);
    return [resolve(s), d - Math.max(resolve(e), resolve(s))];
  }
  const before = s >= 0 ? s : add(dimOf(x, axis), int64s(x.graph, [s]));
  const after = e === Infinity ? 0 : e < 0 ? -e : sub(dimOf(x, axis), int64s(x.graph, [e]));
  return [before, after];
}

function sliceRule(g: Tensor, out: Tensor, [x, start, end, axes]: readonly Tensor[]): (Tensor | undefined)[] {
  const input = x as Tensor;
  const axis = constInts(axes, 'slice axes')[0] as number;
  const [before, after] = slicePads(input, axis, start as Tensor, end as Tensor);
  const zeros = new Array<number>(input.rank).fill(0);
  const begins: (number | Tensor)[] = [...zeros];
  const ends: (number | Tensor)[] = [...zeros];
  begins[axis] = before;
  ends[axis] = after;
  return [padZeros(g, int64Vector(input.graph, [...begins, ...ends]), input.shape)];
}

function concatRule(g: Tensor, out: Tensor, inputs: readonly Tensor[]): (Tensor | undefined)[] {
  const axis = intAttr(out.node, 'axis');
  const sizes = inputs.map((x) => x.shape[axis] as Dim);
  if (sizes.every((d) => typeof d === 'number')) {
    let offset = 0;
    return inputs.map((x) => {
      const size = x.shape[axis] as number;
      offset += size;
      return slice(g, axis, offset - size, offset);
    });
  }
  let offset = int64s(g.graph, [0]);
  return inputs.map((x) => {
    const end = add(offset, dimOf(x, axis));
    const part = sliceDynamic(g, axis, offset, end, x.shape);
    offset = end;
    return part;
  });
}

/** Gather at `axis` is scattered back by moving that axis (and the index dims) to the front. */
function gatherRule(g: Tensor, out: Tensor, [x, indices]: readonly Tensor[]): (Tensor | undefined)[] {
  const input = x as Tensor;
  const idx = indices as Tensor;
  const axis = intAttr(out.node, 'axis');
  const k = idx.rank;
  const rest = input.rank - axis - 1;
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  // g: (pre, idx..., post) -> (idx..., pre, post); x: (pre, N, post) -> (N, pre, post).
  const gFront =
    axis === 0 ? g : transpose(g, [...range(axis, k), ...range(0, axis), ...range(axis + k, rest)]);
  const xPerm = [axis, ...range(0, axis), ...range(axis + 1, rest)];
  const xFront = axis === 0 ? input : transpose(input, xPerm);
  const scattered = scatterNDAdd(zerosLike(xFront), unsqueeze(idx, [k]), gFront);
  return [axis === 0 ? scattered : transpose(scattered, invert(xPerm)), undefined];
}

function reduceMaxRule(g: Tensor, out: Tensor, [x, axesT]: readonly Tensor[]): (Tensor | undefined)[] {
  const input = x as Tensor;
  const axes = constInts(axesT, 'reduce axes');
  const keepdims = intAttr(out.node, 'keepdims') === 1;
  // Ties share the gradient equally, as torch.amax does.
  const isMax = cast(equal(input, keepDims(out, axes, keepdims)), input.dtype);
  const count = reduceSum(isMax, axes, true);
  return [mul(isMax, div(keepDims(g, axes, keepdims), count)), undefined];
}

/** Elementwise max/min: the gradient goes to the winner; ties split it in half (as torch.maximum). */
function extremumRule(pickA: typeof greater) {
  return (g: Tensor, out: Tensor, [a, b]: readonly Tensor[]): (Tensor | undefined)[] => {
    const x = a as Tensor;
    const y = b as Tensor;
    const half = mul(g, 0.5);
    const tie = equal(x, y);
    const ga = where(pickA(x, y), g, where(tie, half, 0));
    const gb = where(pickA(y, x), g, where(tie, half, 0));
    return [reduceToShape(ga, x.shape), reduceToShape(gb, y.shape)];
  };
}

export const GRAD_RULES: Readonly<Record<string, GradRule>> = {
  Identity: (g) => [g],
  Add: (g, _, [a, b]) => [reduceToShape(g, a!.shape), reduceToShape(g, b!.shape)],
  Sub: (g, _, [a, b]) => [reduceToShape(g, a!.shape), reduceToShape(neg(g), b!.shape)],
  Mul: (g, _, [a, b]) => [reduceToShape(mul(g, b!), a!.shape), reduceToShape(mul(g, a!), b!.shape)],
  // d(a/b)/db = -a/b^2 = -out/b
  Div: (g, out, [a, b]) => [
    reduceToShape(div(g, b!), a!.shape),
    reduceToShape(neg(div(mul(g, out), b!)), b!.shape),
  ],
  Neg: (g) => [neg(g)],
  Exp: (g, out) => [mul(g, out)],
  Log: (g, _, [x]) => [div(g, x!)],
  Sqrt: (g, out) => [div(mul(g, 0.5), out)],
  // The exponent is a constant: d(x^p)/dx = p x^(p-1).
  Pow: (g, _, [x, p]) => [reduceToShape(mul(g, mul(p!, pow(x!, sub(p!, 1)))), x!.shape), undefined],
  Erf: (g, _, [x]) => [mul(g, mul(exp(neg(mul(x!, x!))), 2 / Math.sqrt(Math.PI)))],
  Tanh: (g, out) => [mul(g, sub(1, mul(out, out)))],
  Sigmoid: (g, out) => [mul(g, mul(out, sub(1, out)))],
  Relu: (g, _, [x]) => [where(greater(x!, 0), g, 0)],
  Abs: (g, _, [x]) => [mul(g, sign(x!))],
  Sin: (g, _, [x]) => [mul(g, cos(x!))],
  Cos: (g, _, [x]) => [neg(mul(g, sin(x!)))],
  Max: extremumRule(greater),
  Min: extremumRule(less),
  Where: (g, _, [cond, a, b]) => [
    undefined,
    reduceToShape(where(cond!, g, 0), a!.shape),
    reduceToShape(where(cond!, 0, g), b!.shape),
  ],
  Cast: (g, _, [x]) => [isFloat(x!.dtype) ? cast(g, x!.dtype) : undefined],
  Reshape: (g, _, [x]) => [reshapeLike(g, x!), undefined],
  Unsqueeze: (g, _, [x]) => [reshapeLike(g, x!), undefined],
  Squeeze: (g, _, [x]) => [reshapeLike(g, x!), undefined],
  Transpose: (g, out) => [transpose(g, invert(intsAttr(out.node, 'perm')))],
  Expand: (g, _, [x]) => [reduceToShape(g, x!.shape), undefined],
  Slice: sliceRule,
  Concat: concatRule,
  Gather: gatherRule,
  GatherElements: (g, out, [x, idx]) => [
    scatterElementsAdd(zerosLike(x!), idx!, g, intAttr(out.node, 'axis')),
    undefined,
  ],
  ReduceSum: (g, out, [x, axes]) => {
    const kept = keepDims(g, constInts(axes, 'reduce axes'), intAttr(out.node, 'keepdims') === 1);
    return [expandAs(kept, x!), undefined];
  },
  ReduceMean: (g, out, [x, axes]) => {
    const axisList = constInts(axes, 'reduce axes');
    const kept = keepDims(g, axisList, intAttr(out.node, 'keepdims') === 1);
    return [expandAs(div(kept, reducedCount(x!, axisList)), x!), undefined];
  },
  ReduceMax: reduceMaxRule,
  // dx = y * (g - sum(g * y))
  Softmax: (g, out) => {
    const axis = intAttr(out.node, 'axis');
    return [mul(out, sub(g, reduceSum(mul(g, out), [axis], true)))];
  },
  // dx = g - softmax(x) * sum(g)
  LogSoftmax: (g, out) => {
    const axis = intAttr(out.node, 'axis');
    return [sub(g, mul(exp(out), reduceSum(g, [axis], true)))];
  },
  MatMul: (g, _, [a, b]) => [
    reduceToShape(matmul(g, transposeLast(b!)), a!.shape),
    reduceToShape(matmul(transposeLast(a!), g), b!.shape),
  ],
};
