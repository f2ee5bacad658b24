// Emits an engine graph to a scratch folder and opens it with the runtime (by path, so big initializers can
// live in an external data file), on the requested device with CUDA -> CPU fallback.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel, type Graph } from '../engine/index';
import { EngineSession, type DeviceRequest, type HostTensor } from '../runtime/index';

export interface OpenedGraph {
  session: EngineSession;
  /** Removes the session and its scratch folder. */
  close(): Promise<void>;
}

export async function openGraph(
  graph: Graph,
  name: string,
  options: { device?: DeviceRequest; intraOpThreads?: number } = {},
): Promise<OpenedGraph> {
  const dir = await mkdtemp(join(tmpdir(), `dpo-${name}-`));
  try {
    saveModel(graph, join(dir, `${name}.onnx`));
    const session = await EngineSession.open(join(dir, `${name}.onnx`), options);
    return {
      session,
      close: async () => {
        await session.release();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
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
