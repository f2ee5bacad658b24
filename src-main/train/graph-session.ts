// Opens an engine graph with the runtime, on the requested device with CUDA -> CPU fallback: the model is
// emitted in memory and the frozen weights stay the checkpoint's own arrays, fed to every session of the
// run (reference, step, eval) without a copy and without a scratch file.
import type { Graph } from '../engine/index';
import { EngineSession, graphModel, type HostTensor, type SessionOptions } from '../runtime/index';

export interface OpenedGraph {
  session: EngineSession;
  /** Releases the session. */
  close(): Promise<void>;
}

export async function openGraph(
  graph: Graph,
  _name: string,
  options: SessionOptions = {},
): Promise<OpenedGraph> {
  const model = graphModel(graph, { cpuOnly: options.device === 'cpu' });
  const session = await EngineSession.openGraph(model, options);
  return { session, close: () => session.release() };
}

export const f32 = (data: Float32Array, dims: readonly number[]): HostTensor => ({
  dtype: 'float32',
  data,
  dims,
});
export const i64 = (data: BigInt64Array, dims: readonly number[]): HostTensor => ({
  dtype: 'int64',
  data,
  dims,
});
