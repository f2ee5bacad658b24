// Finds out where the engine will run: opens a one-node graph with the requested device and runs it, so
// "auto" reports CUDA only when the provider really loads, and otherwise says why it fell back to the CPU.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiError } from '../../../src-shared/errors';
import type { DeviceInfo, DeviceRequest } from '../../../src-shared/schemas';
import { add, Graph, saveModel } from '../../engine/index';
import { openSession, toOrt } from '../../runtime/index';

const probes = new Map<DeviceRequest, Promise<DeviceInfo>>();

async function probe(request: DeviceRequest): Promise<DeviceInfo> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dpo-device-'));
  try {
    const graph = new Graph();
    const x = graph.input('x', 'float32', [1]);
    graph.output('y', add(x, 1));
    const modelPath = path.join(dir, 'probe.onnx');
    saveModel(graph, modelPath);
    let opened;
    try {
      opened = await openSession(modelPath, { device: request });
    } catch (error) {
      throw new ApiError('unavailable', (error as Error).message);
    }
    const { y } = await opened.session.run({
      x: toOrt({ dtype: 'float32', dims: [1], data: new Float32Array([1]) }),
    });
    await opened.session.release();
    if (y?.data[0] !== 2)
      throw new ApiError('internal', `the ${opened.device} device computed 1 + 1 = ${y?.data[0]}`);
    return { requested: request, device: opened.device, reason: opened.reason ?? null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The answer is cached per request for the life of the process: providers do not come and go. */
export function probeDevice(request: DeviceRequest): Promise<DeviceInfo> {
  let result = probes.get(request);
  if (!result) {
    result = probe(request);
    probes.set(request, result);
    result.catch(() => probes.delete(request));
  }
  return result;
}
