// The runtime's public API: onnxruntime-node sessions with device fallback, and a worker that owns them.
export {
  CUDA_SETUP_HINT,
  openSession,
  type Device,
  type DeviceRequest,
  type ModelSource,
  type OpenedSession,
  type SessionOptions,
} from './device';
export { fromOrt, toOrt, type Feeds, type HostTensor } from './host-tensor';
export { graphModel, graphSource, type GraphModel } from './graph-model';
export { EngineSession } from './session';
export { cachedModel, defaultSessionCacheDir, optimizedModelPath } from './optimized-cache';
export { SessionWorker, type RunOptions } from './worker-client';
export type { OpenResult } from './worker-protocol';
export { CUDA_KERNELS, type CudaKernel, type OnnxTypeName } from './cuda-kernels';
