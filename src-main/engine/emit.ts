// Graph -> standard ONNX (opset 26, IR 13) through onnx-proto; big weights go to an external data file, or
// (fed weights, Graph.weight) stay outside the model: graph inputs, or initializers read from memory.
import { closeSync, openSync, writeSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import onnxProto from 'onnx-proto';
import { BYTES_PER_ELEMENT, ONNX_DTYPE, type DType, type TensorData } from './dtype';
import type { Attr, Graph, Node, Tensor } from './graph';
import type { Shape } from './shape';

const { onnx } = onnxProto;

export const OPSET = 26;
export const IR_VERSION = 13;
/** External data chunks start at page boundaries so ORT can memory-map them. */
const EXTERNAL_ALIGNMENT = 4096;

export interface EmitOptions {
  /** Initializers of at least this many bytes go to the external data file (default 1 MiB). */
  externalThreshold?: number;
  /** Name of the external data file, relative to the model file (default 'model.onnx.data'). */
  externalDataFile?: string;
  /** The ONNX graph's name (default 'engine'). */
  name?: string;
  /**
   * Where fed weights (Graph.weight) go: 'inline' (default) treats them as initializers like frozen params
   * (inline or in the external data file, by size), so the model stands alone; 'inputs' makes each a graph
   * input fed at run time; 'memory' makes each an initializer whose bytes onnxruntime takes from memory
   * (`externalData` session option, one entry per weight, listed in `memoryWeights`).
   */
  weights?: 'inline' | 'inputs' | 'memory';
}

/** A fed weight's bytes as onnxruntime's `externalData` session option takes them. */
export interface MemoryWeight {
  path: string;
  data: Uint8Array;
  /** The weight's name in the graph. */
  name: string;
}

export interface EmittedModel {
  /** The serialized ModelProto. */
  model: Uint8Array;
  /** The external data file's contents in order (empty when every initializer fits inline). */
  externalData: Uint8Array[];
  externalDataFile: string;
  /** Fed weights emitted with `weights: 'memory'`: the in-memory files their initializers point to. */
  memoryWeights: MemoryWeight[];
  /** Fed weights emitted with `weights: 'inputs'`: the graph inputs to feed with them, in order. */
  weightInputs: string[];
}

function bytesOf(data: TensorData): Uint8Array {
  // Typed arrays are little-endian on every platform onnxruntime ships for, which is what ONNX raw data wants.
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function valueInfo(name: string, dtype: DType, shape: Shape): onnxProto.onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim } } } };
}

function tensorProto(
  name: string,
  dtype: DType,
  dims: readonly number[],
  data: TensorData,
): onnxProto.onnx.ITensorProto {
  return { name, dataType: ONNX_DTYPE[dtype], dims: [...dims], rawData: bytesOf(data) };
}

function attribute(name: string, attr: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (attr.kind) {
    case 'int':
      return { name, type: T.INT, i: attr.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...attr.value] };
    case 'float':
      return { name, type: T.FLOAT, f: attr.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(attr.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto('', attr.dtype, attr.dims, attr.data) };
  }
}

/** Nodes the outputs depend on, in id (topological) order. */
function liveNodes(graph: Graph): Node[] {
  const live = new Set<Node>();
  const stack: Tensor[] = [...graph.outputs.values()];
  while (stack.length > 0) {
    const t = stack.pop() as Tensor;
    if (live.has(t.node)) continue;
    live.add(t.node);
    stack.push(...t.node.inputs);
  }
  return graph.nodes.filter((n) => live.has(n));
}

/** Serializes the graph. Graph inputs and trainable params are always model inputs, used or not. */
export function emitModel(graph: Graph, options: EmitOptions = {}): EmittedModel {
  if (graph.outputs.size === 0)
    throw new Error('emit: the graph has no outputs; call graph.output(name, tensor)');
  const threshold = options.externalThreshold ?? 1024 * 1024;
  const externalDataFile = options.externalDataFile ?? 'model.onnx.data';
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const externalData: Uint8Array[] = [];
  const memoryWeights: MemoryWeight[] = [];
  const weightInputs: string[] = [];
  const weightMode = options.weights ?? 'inline';
  let externalSize = 0;

  const addInitializer = (t: Tensor, data: TensorData): void => {
    const dims = t.shape as number[];
    const byteLength = data.length * BYTES_PER_ELEMENT[t.dtype];
    if (byteLength < threshold) {
      initializers.push(tensorProto(t.name, t.dtype, dims, data));
      return;
    }
    const padding = (EXTERNAL_ALIGNMENT - (externalSize % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
    if (padding > 0) externalData.push(new Uint8Array(padding));
    const offset = externalSize + padding;
    externalData.push(bytesOf(data));
    externalSize = offset + byteLength;
    initializers.push({
      name: t.name,
      dataType: ONNX_DTYPE[t.dtype],
      dims: [...dims],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: externalDataFile },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(byteLength) },
      ],
    });
  };

  const live = new Set(liveNodes(graph));
  const byName = new Map<string, Tensor>();
  for (const n of graph.nodes) for (const o of n.outputs) byName.set(o.name, o);
  for (const node of graph.nodes) {
    const t = node.outputs[0] as Tensor;
    const leaf = node.leaf;
    if (leaf?.kind === 'input' || (leaf?.kind === 'param' && leaf.trainable)) {
      inputs.push(valueInfo(t.name, t.dtype, t.shape));
    } else if (!live.has(node)) {
      continue;
    } else if (leaf?.kind === 'weight' && weightMode === 'inputs') {
      inputs.push(valueInfo(t.name, t.dtype, t.shape));
      weightInputs.push(t.name);
    } else if (leaf?.kind === 'weight' && weightMode === 'memory') {
      // The bytes are viewed, not copied: onnxruntime reads them from this view while the session opens.
      const data = new Uint8Array(leaf.data.buffer, leaf.data.byteOffset, leaf.data.byteLength);
      const path = `${memoryWeights.length}-${t.name.replace(/[^\w.-]/g, '_')}.bin`;
      memoryWeights.push({ path, data, name: t.name });
      initializers.push({
        name: t.name,
        // BF16 words are stored as BF16: no BitCast needed (and none is registered on CUDA, see below).
        dataType: ONNX_DTYPE[t.dtype === 'uint16' ? 'bfloat16' : t.dtype],
        dims: [...(t.shape as number[])],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: path },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(data.byteLength) },
        ],
      });
    } else if (leaf) {
      addInitializer(t, leaf.data);
    } else {
      // With BF16 initializers ('memory') the words already are bfloat16: BitCast (which onnxruntime's CUDA
      // provider does not register) becomes an Identity.
      const op = node.op === 'BitCast' && weightMode === 'memory' ? 'Identity' : node.op;
      nodes.push({
        name: `${node.op}_${node.id}`,
        opType: op,
        input: node.inputs.map((x) => x.name),
        output: node.outputs.map((x) => x.name),
        attribute:
          op === 'Identity' ? [] : Object.entries(node.attrs).map(([name, attr]) => attribute(name, attr)),
      });
    }
  }

  // Every intermediate's dtype and shape (symbolic dims by name). Without them, as far as we can tell,
  // onnxruntime's shape inference leaves dims it cannot derive (after a Reshape to a computed shape, say)
  // unnamed, its allocation planner cannot match such a freed buffer to a later output, and the free list
  // it scans for every output grows with the graph: opening the 24-layer step graph was quadratic in its
  // node count (86 s with optimizations off at tiny widths, 2.2 s with these). docs/benchmarks.md.
  const valueInfos: onnxProto.onnx.IValueInfoProto[] = [];
  for (const n of nodes)
    for (const name of n.output ?? []) {
      const t = byName.get(name);
      // From memory, BF16 words are bfloat16 initializers, so what is computed from them before the BitCast
      // (now an Identity) is bfloat16 too.
      if (t)
        valueInfos.push(
          valueInfo(name, weightMode === 'memory' && t.dtype === 'uint16' ? 'bfloat16' : t.dtype, t.shape),
        );
    }
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  for (const [name, t] of graph.outputs) {
    nodes.push({ name: `output_${name}`, opType: 'Identity', input: [t.name], output: [name] });
    outputs.push(valueInfo(name, t.dtype, t.shape));
  }

  const model = onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: 'dpo-workbench-engine',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: options.name ?? 'engine',
      node: nodes,
      initializer: initializers,
      input: inputs,
      output: outputs,
      valueInfo: valueInfos,
    },
  }).finish();
  return { model, externalData, externalDataFile, memoryWeights, weightInputs };
}

/**
 * Writes `path` and, when some weights are external, `<path>.data` next to it (referenced by that relative
 * name, so the pair can be moved together). Load it by path so onnxruntime finds the data file.
 */
export function saveModel(
  graph: Graph,
  path: string,
  options: Omit<EmitOptions, 'externalDataFile'> = {},
): string[] {
  const dataPath = `${path}.data`;
  const emitted = emitModel(graph, { ...options, externalDataFile: basename(dataPath) });
  writeFileSync(path, emitted.model);
  if (emitted.externalData.length === 0) return [path];
  const fd = openSync(dataPath, 'w');
  try {
    for (const chunk of emitted.externalData) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return [path, dataPath];
}
