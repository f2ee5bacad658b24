// Indexing ops: gather (embedding lookup), gatherElements (token log-probs), their scatter-add inverses,
// zeros, ranges and argmax.
import { filledArray } from './dtype';
import { int, str, type Tensor } from './graph';
import { dimsEqual, formatShape, normalizeAxis, type Dim } from './shape';
import { shapeOf } from './ops-shape';

function checkIndices(op: string, indices: Tensor): void {
  if (indices.dtype !== 'int64') throw new Error(`${op}: indices must be int64, got ${indices.dtype}`);
}

/** x.take(indices, axis): result shape x[:axis] + indices + x[axis+1:] (embedding lookup at axis 0). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  checkIndices('gather', indices);
  const a = normalizeAxis('gather', axis, x.rank);
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return x.graph.apply1('Gather', [x, indices], { axis: int(a) }, x.dtype, shape);
}

/** torch.gather: out[i][j] = x[i][indices[i][j]] along `axis`; indices has x's rank. */
export function gatherElements(x: Tensor, indices: Tensor, axis: number): Tensor {
  checkIndices('gatherElements', indices);
  const a = normalizeAxis('gatherElements', axis, x.rank);
  const sameOutside =
    indices.rank === x.rank && x.shape.every((d, i) => i === a || dimsEqual(d, indices.shape[i] as Dim));
  if (!sameOutside) {
    throw new Error(
      `gatherElements: indices ${formatShape(indices.shape)} must match x ${formatShape(x.shape)} outside axis ${a}`,
    );
  }
  return x.graph.apply1('GatherElements', [x, indices], { axis: int(a) }, x.dtype, indices.shape);
}

/** data with `updates` added at `indices` (ONNX ScatterND, reduction add); indices [..., k]. */
export function scatterNDAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  checkIndices('scatterNDAdd', indices);
  return data.graph.apply1(
    'ScatterND',
    [data, indices, updates],
    { reduction: str('add') },
    data.dtype,
    data.shape,
  );
}

/** data with updates[i][j] added at data[i][indices[i][j]] along `axis` (ScatterElements, reduction add). */
export function scatterElementsAdd(data: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
  checkIndices('scatterElementsAdd', indices);
  const a = normalizeAxis('scatterElementsAdd', axis, data.rank);
  const attrs = { axis: int(a), reduction: str('add') };
  return data.graph.apply1('ScatterElements', [data, indices, updates], attrs, data.dtype, data.shape);
}

/** Zeros with x's run-time shape and dtype (ONNX ConstantOfShape). */
export function zerosLike(x: Tensor): Tensor {
  const value = { kind: 'tensor' as const, dtype: x.dtype, data: filledArray(x.dtype, 1, 0), dims: [1] };
  return x.graph.apply1('ConstantOfShape', [shapeOf(x)], { value }, x.dtype, x.shape);
}

/** [start, start+1, ..., limit-1] as int64; start and limit are int64 scalars (rank 0). */
export function range(start: Tensor, limit: Tensor, length: Dim): Tensor {
  const delta = start.graph.scalar(1, 'int64');
  return start.graph.apply1('Range', [start, limit, delta], {}, 'int64', [length]);
}

/** Index of the largest value along `axis` (first one on ties). */
export function argMax(x: Tensor, axis = -1, keepdims = false): Tensor {
  const a = normalizeAxis('argMax', axis, x.rank);
  const shape = keepdims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  return x.graph.apply1('ArgMax', [x], { axis: int(a), keepdims: int(keepdims ? 1 : 0) }, 'int64', shape);
}
