// An engine graph made ready for sessions without copying its frozen weights: the model bytes (no scratch
// file) and the fed weights (Graph.weight) kept apart, so every session of the process uses the one copy.
// On the CPU the weights are graph inputs: onnxruntime wraps an input's buffer in place, no copy. On CUDA
// inputs would cross to the device on every run, so there they are initializers read from memory once.
import { emitModel, type Graph } from '../engine/index';
import type { Device, ModelSource } from './device';
import type { Feeds } from './host-tensor';

export interface GraphModel {
  /** The model with the frozen weights as graph inputs (the CPU). */
  withInputs: Uint8Array;
  /** The model with the frozen weights as initializers whose bytes come from memory (CUDA); null: CPU only. */
  withMemoryInitializers: Uint8Array | null;
  /** The in-memory file of each weight in `withMemoryInitializers`, by weight name. */
  memoryFiles: { name: string; path: string }[];
  /** The weights as fed: stored words (BF16 as uint16), the checkpoint's own arrays. */
  weights: Feeds;
}

/**
 * Emits `graph` for the CPU and, unless `cpuOnly`, for CUDA (small: the weights stay out of both), and
 * collects its live fed weights.
 */
export function graphModel(graph: Graph, options: { cpuOnly?: boolean } = {}): GraphModel {
  const inputs = emitModel(graph, { weights: 'inputs' });
  const memory = options.cpuOnly ? null : emitModel(graph, { weights: 'memory' });
  const byName = new Map(graph.weights().map((w) => [w.name, w]));
  const weights: Feeds = {};
  for (const name of inputs.weightInputs) {
    const w = byName.get(name);
    if (!w) throw new Error(`graphModel: the model takes weight ${name} but the graph has none`);
    weights[name] = { dtype: w.dtype, data: w.data, dims: w.dims };
  }
  return {
    withInputs: inputs.model,
    withMemoryInitializers: memory?.model ?? null,
    memoryFiles: memory?.memoryWeights.map(({ name, path }) => ({ name, path })) ?? [],
    weights,
  };
}

/** The session source for `device`, and the feeds every run of that session gets. */
export function graphSource(m: GraphModel, device: Device): ModelSource & { bound: Feeds } {
  if (device === 'cpu') return { model: m.withInputs, bound: m.weights };
  if (m.withMemoryInitializers === null)
    throw new Error('graphSource: this graph model was made for the CPU only');
  const externalData = m.memoryFiles.map(({ name, path }) => {
    const { data } = m.weights[name] as Feeds[string];
    return { path, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  });
  // No constant folding: it would store a float32 copy of every widened (Cast) weight in the session.
  const extra = { optimization: { disable_specified_optimizers: 'ConstantFolding' } };
  return { model: m.withMemoryInitializers, externalData, extra, bound: {} };
}
