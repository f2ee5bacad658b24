// Elementwise ops with numpy broadcasting: arithmetic, unary math, comparisons, where and cast.
import { isFloat, ONNX_DTYPE, type DType } from './dtype';
import { int, type Tensor } from './graph';
import { broadcastShapes } from './shape';

/** Numbers stand for scalar constants of the other operand's dtype. */
export type TensorLike = Tensor | number;

function lift(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number')
    throw new Error(`${op}: needs at least one tensor operand`);
  const x = typeof a === 'number' ? (b as Tensor).graph.scalar(a, (b as Tensor).dtype) : a;
  const y = typeof b === 'number' ? x.graph.scalar(b, x.dtype) : b;
  if (x.dtype !== y.dtype) throw new Error(`${op}: dtypes differ: ${x.dtype} and ${y.dtype}`);
  return [x, y];
}

function binary(name: string, op: string, a: TensorLike, b: TensorLike, outDtype?: DType): Tensor {
  const [x, y] = lift(name, a, b);
  const shape = broadcastShapes(name, x.shape, y.shape);
  return x.graph.apply1(op, [x, y], {}, outDtype ?? x.dtype, shape);
}

function unary(name: string, op: string, x: Tensor, floatOnly = true): Tensor {
  if (floatOnly && !isFloat(x.dtype)) throw new Error(`${name}: needs a float tensor, got ${x.dtype}`);
  return x.graph.apply1(op, [x], {}, x.dtype, x.shape);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', 'Add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', 'Sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', 'Mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', 'Div', a, b);
/** Elementwise maximum of two tensors (ONNX Max). */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', 'Max', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', 'Min', a, b);

export const less = (a: TensorLike, b: TensorLike): Tensor => binary('less', 'Less', a, b, 'bool');
export const lessOrEqual = (a: TensorLike, b: TensorLike): Tensor =>
  binary('lessOrEqual', 'LessOrEqual', a, b, 'bool');
export const greater = (a: TensorLike, b: TensorLike): Tensor => binary('greater', 'Greater', a, b, 'bool');
export const equal = (a: TensorLike, b: TensorLike): Tensor => binary('equal', 'Equal', a, b, 'bool');

export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== 'bool' || b.dtype !== 'bool')
    throw new Error(`logicalAnd: needs bool tensors, got ${a.dtype} and ${b.dtype}`);
  return binary('logicalAnd', 'And', a, b);
}

export function logicalNot(x: Tensor): Tensor {
  if (x.dtype !== 'bool') throw new Error(`logicalNot: needs a bool tensor, got ${x.dtype}`);
  return x.graph.apply1('Not', [x], {}, 'bool', x.shape);
}

export const neg = (x: Tensor): Tensor => unary('neg', 'Neg', x, false);
export const exp = (x: Tensor): Tensor => unary('exp', 'Exp', x);
export const log = (x: Tensor): Tensor => unary('log', 'Log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', 'Sqrt', x);
export const erf = (x: Tensor): Tensor => unary('erf', 'Erf', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', 'Tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', 'Sigmoid', x);
export const relu = (x: Tensor): Tensor => unary('relu', 'Relu', x);
export const abs = (x: Tensor): Tensor => unary('abs', 'Abs', x, false);
export const sign = (x: Tensor): Tensor => unary('sign', 'Sign', x, false);
export const sin = (x: Tensor): Tensor => unary('sin', 'Sin', x);
export const cos = (x: Tensor): Tensor => unary('cos', 'Cos', x);

/** x ** exponent for a constant exponent (a tensor exponent is allowed for the gradient rules). */
export function pow(x: Tensor, exponent: TensorLike): Tensor {
  if (!isFloat(x.dtype)) throw new Error(`pow: needs a float tensor, got ${x.dtype}`);
  const p = typeof exponent === 'number' ? x.graph.scalar(exponent, x.dtype) : exponent;
  const shape = broadcastShapes('pow', x.shape, p.shape);
  return x.graph.apply1('Pow', [x, p], {}, x.dtype, shape);
}

/** cond ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (cond.dtype !== 'bool') throw new Error(`where: condition must be bool, got ${cond.dtype}`);
  const [x, y] = lift('where', a, b);
  const shape = broadcastShapes('where', cond.shape, broadcastShapes('where', x.shape, y.shape));
  return cond.graph.apply1('Where', [cond, x, y], {}, x.dtype, shape);
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return x.graph.apply1('Cast', [x], { to: int(ONNX_DTYPE[dtype]) }, dtype, x.shape);
}

export function identity(x: Tensor): Tensor {
  return x.graph.apply1('Identity', [x], {}, x.dtype, x.shape);
}

/** Nodes made by stopGradient: autodiff treats their output as a constant (torch's `.detach()`). */
export const STOP_GRADIENT = new WeakSet<Tensor['node']>();

/** x with no gradient flowing back through it (an ONNX Identity that autodiff does not walk through). */
export function stopGradient(x: Tensor): Tensor {
  const out = identity(x);
  STOP_GRADIENT.add(out.node);
  return out;
}
