// The graph: symbolic tensors, the nodes that produce them, and the leaves (inputs, params, constants).
import { checkDataMatches, filledArray, toFloat16Bits, type DType, type TensorData } from './dtype';
import { formatShape, staticSize, type Shape } from './shape';

/** An ONNX attribute, typed so the emitter never guesses between int and float. */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; dtype: DType; data: TensorData; dims: readonly number[] };

export const int = (value: number): Attr => ({ kind: 'int', value });
export const ints = (value: readonly number[]): Attr => ({ kind: 'ints', value });
export const float = (value: number): Attr => ({ kind: 'float', value });
export const str = (value: string): Attr => ({ kind: 'string', value });

/** A leaf's payload: graph inputs have a name, params, fed weights and constants carry their data. */
export type Leaf =
  | { kind: 'input'; name: string }
  | { kind: 'param'; name: string; data: TensorData; trainable: boolean }
  | { kind: 'weight'; name: string; data: TensorData }
  | { kind: 'constant'; data: TensorData };

/** The storage dtypes of a frozen weight: as a checkpoint keeps it (F32, F16, BF16). */
export type WeightDType = 'float32' | 'float16' | 'bfloat16';

/**
 * A frozen weight that lives outside the model: emitted as a graph input (fed at every run from the one
 * copy the process holds; onnxruntime's CPU provider wraps an input's buffer without copying it) or, for
 * devices where inputs cross to the device on every run, as an initializer whose bytes are handed to
 * onnxruntime from memory. BF16 words are fed as `uint16` (the type onnxruntime-node can feed).
 */
export interface FedWeight {
  name: string;
  /** The dtype the graph input has: `uint16` for BF16 words. */
  dtype: 'float32' | 'float16' | 'uint16';
  /** The dtype the words mean. */
  stored: WeightDType;
  data: TensorData;
  dims: readonly number[];
}

export interface Node {
  readonly id: number;
  /** The ONNX op type of a primitive, or 'Leaf' for inputs, params and constants. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly attrs: Readonly<Record<string, Attr>>;
  readonly outputs: Tensor[];
  readonly leaf?: Leaf;
  /** A gradient autodiff takes instead of differentiating the node's inputs (Graph.withGradient). */
  readonly gradient?: CustomGradient;
}

/**
 * The gradient of a node's output g mapped to gradients of `wrt` (tensors made before the node); `needed`
 * says which of them autodiff will use, so a rule can skip the rest (undefined).
 */
export interface CustomGradient {
  readonly wrt: readonly Tensor[];
  rule(g: Tensor, needed: readonly boolean[]): (Tensor | undefined)[];
}

export interface OutputSpec {
  dtype: DType;
  shape: Shape;
}

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly node: Node,
    readonly outputIndex: number,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** The name this tensor gets in the emitted ONNX graph. */
  get name(): string {
    const leaf = this.node.leaf;
    if (leaf && leaf.kind !== 'constant') return leaf.name;
    const base = leaf ? 'const' : this.node.op.toLowerCase();
    return this.outputIndex === 0 ? `${base}_${this.node.id}` : `${base}_${this.node.id}_${this.outputIndex}`;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}${formatShape(this.shape)}`;
  }
}

function dtypeOfData(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint16Array) return 'float16';
  if (data instanceof BigInt64Array) return 'int64';
  return 'bool';
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly outputs = new Map<string, Tensor>();
  private readonly names = new Set<string>();
  private readonly scalars = new Map<string, Tensor>();

  /** A value fed at run time. */
  input(name: string, dtype: DType, shape: Shape): Tensor {
    this.claimName('input', name);
    return this.leaf({ kind: 'input', name }, dtype, shape);
  }

  /**
   * A weight. Frozen params are emitted as initializers; trainable ones as graph inputs (so a train step
   * can take them in and hand the updated values out), with `data` as their initial value.
   */
  param(
    name: string,
    data: TensorData,
    shape: readonly number[],
    options: { trainable?: boolean } = {},
  ): Tensor {
    this.claimName('param', name);
    checkSize(`param ${name}`, data, shape);
    return this.leaf(
      { kind: 'param', name, data, trainable: options.trainable ?? false },
      dtypeOfData(data),
      shape,
    );
  }

  /**
   * A frozen weight kept outside the model in its stored dtype (see FedWeight): the leaf holds the stored
   * words (float32, float16, or BF16 as uint16); `widenWeight` (weights.ts) makes float32 of it where used.
   */
  weight(name: string, stored: WeightDType, data: TensorData, shape: readonly number[]): Tensor {
    this.claimName('weight', name);
    const dtype = stored === 'bfloat16' ? 'uint16' : stored;
    checkSize(`weight ${name}`, data, shape);
    checkDataMatches(`weight ${name}`, dtype, data);
    return this.leaf({ kind: 'weight', name, data }, dtype, shape);
  }

  /** The fed weights, in graph order (the emitter decides which of them a model takes). */
  weights(): FedWeight[] {
    return this.nodes.flatMap((n) => {
      if (n.leaf?.kind !== 'weight') return [];
      const t = n.outputs[0] as Tensor;
      const stored = t.dtype === 'uint16' ? 'bfloat16' : (t.dtype as 'float32' | 'float16');
      return [
        {
          name: n.leaf.name,
          dtype: t.dtype as FedWeight['dtype'],
          stored,
          data: n.leaf.data,
          dims: t.shape as number[],
        },
      ];
    });
  }

  constant(data: TensorData, shape: readonly number[]): Tensor {
    checkSize('constant', data, shape);
    return this.leaf({ kind: 'constant', data }, dtypeOfData(data), shape);
  }

  /** A rank-0 constant, shared between all uses of the same value and dtype. */
  scalar(value: number, dtype: DType): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    const cached = this.scalars.get(key);
    if (cached) return cached;
    const data = scalarData(dtype, value);
    const tensor = this.constant(data, []);
    this.scalars.set(key, tensor);
    return tensor;
  }

  /** Marks `tensor` as a graph output called `name` (emitted through an Identity node). */
  output(name: string, tensor: Tensor): void {
    if (tensor.graph !== this) throw new Error(`output ${name}: tensor belongs to another graph`);
    this.claimName('output', name);
    this.outputs.set(name, tensor);
  }

  /** Appends a primitive node; shape inference is the caller's job (the op functions do it). */
  apply(
    op: string,
    inputs: readonly Tensor[],
    attrs: Record<string, Attr>,
    outputs: readonly OutputSpec[],
  ): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this) throw new Error(`${op}: input ${t.name} belongs to another graph`);
    }
    const node: Node = { id: this.nodes.length, op, inputs, attrs, outputs: [] };
    // Tensor ids: node id * 8 + output index, unique across the graph (no op has more than 8 outputs).
    outputs.forEach((spec, i) =>
      node.outputs.push(new Tensor(this, this.nodes.length * 8 + i, spec.dtype, spec.shape, node, i)),
    );
    this.nodes.push(node);
    return node.outputs;
  }

  /** `apply` for the common single-output case. */
  apply1(
    op: string,
    inputs: readonly Tensor[],
    attrs: Record<string, Attr>,
    dtype: DType,
    shape: Shape,
  ): Tensor {
    const [out] = this.apply(op, inputs, attrs, [{ dtype, shape }]);
    return out as Tensor;
  }

  /**
   * `value` through an Identity node whose gradient comes from `gradient` instead of value's own nodes:
   * how a fused computation (a chunked LM head, a recomputed layer) supplies its backward pass. The nodes
   * that made `value` then get no gradient, so nothing of them is kept for the backward pass.
   */
  withGradient(value: Tensor, gradient: CustomGradient): Tensor {
    if (value.graph !== this) throw new Error('withGradient: value belongs to another graph');
    for (const t of gradient.wrt) {
      if (t.graph !== this || t.node.id >= this.nodes.length)
        throw new Error(`withGradient: ${t.name} is not a tensor of this graph`);
    }
    const node: Node = {
      id: this.nodes.length,
      op: 'Identity',
      inputs: [value],
      attrs: {},
      outputs: [],
      gradient,
    };
    node.outputs.push(new Tensor(this, this.nodes.length * 8, value.dtype, value.shape, node, 0));
    this.nodes.push(node);
    return node.outputs[0] as Tensor;
  }

  inputs(): Tensor[] {
    return this.leaves((leaf) => leaf.kind === 'input');
  }

  params(): Tensor[] {
    return this.leaves((leaf) => leaf.kind === 'param');
  }

  trainableParams(): Tensor[] {
    return this.leaves((leaf) => leaf.kind === 'param' && leaf.trainable);
  }

  private leaves(keep: (leaf: Leaf) => boolean): Tensor[] {
    return this.nodes.filter((n) => n.leaf && keep(n.leaf)).map((n) => n.outputs[0] as Tensor);
  }

  private leaf(leaf: Leaf, dtype: DType, shape: Shape): Tensor {
    const node: Node = { id: this.nodes.length, op: 'Leaf', inputs: [], attrs: {}, outputs: [], leaf };
    node.outputs.push(new Tensor(this, this.nodes.length * 8, dtype, shape, node, 0));
    this.nodes.push(node);
    return node.outputs[0] as Tensor;
  }

  private claimName(what: string, name: string): void {
    if (!/^[A-Za-z_][\w./:-]*$/.test(name))
      throw new Error(`${what} name "${name}" is not a valid tensor name`);
    if (this.names.has(name)) throw new Error(`${what} name "${name}" is already used in this graph`);
    this.names.add(name);
  }
}

function checkSize(where: string, data: TensorData, shape: readonly number[]): void {
  const size = staticSize(shape) ?? -1;
  if (data.length !== size) {
    throw new Error(
      `${where}: data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`,
    );
  }
  checkDataMatches(where, dtypeOfData(data), data);
}

function scalarData(dtype: DType, value: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array([value]);
    case 'float64':
      return new Float64Array([value]);
    case 'float16':
      return new Uint16Array([toFloat16Bits(value)]);
    case 'bfloat16':
    case 'uint16':
      return filledArray(dtype, 1, value);
    case 'int64':
      return new BigInt64Array([BigInt(value)]);
    case 'bool':
      return new Uint8Array([value ? 1 : 0]);
  }
}

/** An int attribute of a node (for gradient rules that need the forward op's axis or flags). */
export function intAttr(node: Node, name: string): number {
  const attr = node.attrs[name];
  if (attr?.kind !== 'int') throw new Error(`${node.op} node ${node.id} has no int attribute ${name}`);
  return attr.value;
}

export function intsAttr(node: Node, name: string): readonly number[] {
  const attr = node.attrs[name];
  if (attr?.kind !== 'ints') throw new Error(`${node.op} node ${node.id} has no ints attribute ${name}`);
  return attr.value;
}
