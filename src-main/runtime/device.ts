// Execution-provider choice for onnxruntime-node: 'auto' tries CUDA then falls back to CPU and says why;
// an explicit 'cuda' without the provider libraries fails with the fix.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

export type DeviceRequest = 'auto' | 'cpu' | 'cuda';
export type Device = 'cpu' | 'cuda';

export interface SessionOptions {
  device?: DeviceRequest;
  /** Threads for one op (ORT intra-op); default: ORT's choice (all cores). */
  intraOpThreads?: number;
  /** onnxruntime's graph optimization level; default 'all'. */
  optimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Where onnxruntime writes the model as it optimized it (ONNX), for a later open at level 'disabled'. */
  saveOptimizedTo?: string;
  /**
   * A folder of optimized models (optimized-cache.ts) for graph sessions on the CPU at level 'all': the
   * first open saves its optimized model there, later opens of the same model skip the optimization.
   */
  cacheDir?: string;
  /** onnxruntime's CPU memory arena (default on); off, freed tensors go back to the system at once. */
  cpuArena?: boolean;
  /**
   * onnxruntime's memory pattern (default on): from the second run of the same shapes, all of a run's
   * intermediate tensors are placed in one block, planned from the first run.
   */
  memPattern?: boolean;
}

/**
 * What a session is made from: a model file (its external data file next to it), or model bytes with
 * initializers' bytes from memory (`externalData`) and session config entries (`extra`).
 */
export interface ModelSource {
  model: string | Uint8Array;
  externalData?: { path: string; data: Uint8Array }[];
  extra?: Record<string, Record<string, string>>;
  /** Overrides the session's optimization level (a model optimized already opens at 'disabled'). */
  level?: SessionOptions['optimizationLevel'];
  /** Overrides where the optimized model is saved. */
  saveTo?: string;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  device: Device;
  /** Why the device differs from the request (auto that fell back to CPU). */
  reason?: string;
}

export const CUDA_SETUP_HINT =
  'Run `npm run setup:cuda` to install the onnxruntime CUDA provider; it needs CUDA 13 and cuDNN 9 on this machine.';

function create(
  sourceFor: (device: Device) => ModelSource,
  device: Device,
  options: SessionOptions,
): Promise<ort.InferenceSession> {
  const source = sourceFor(device);
  const ortOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    graphOptimizationLevel: source.level ?? options.optimizationLevel ?? 'all',
    ...(options.cpuArena === undefined ? {} : { enableCpuMemArena: options.cpuArena }),
    ...(options.memPattern === undefined ? {} : { enableMemPattern: options.memPattern }),
    ...((source.saveTo ?? options.saveOptimizedTo) === undefined
      ? {}
      : {
          optimizedModelFilePath: source.saveTo ?? options.saveOptimizedTo,
          logSeverityLevel: 3 as const, // not the warning that level 'all' is saved for this CPU only: it is
        }),
    ...(options.intraOpThreads === undefined ? {} : { intraOpNumThreads: options.intraOpThreads }),
    ...(source.externalData ? { externalData: source.externalData } : {}),
    ...(source.extra ? { extra: source.extra } : {}),
  };
  // Both overloads of create, so that a path keeps resolving its external data file next to it.
  return typeof source.model === 'string'
    ? ort.InferenceSession.create(source.model, ortOptions)
    : ort.InferenceSession.create(source.model, ortOptions);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Where onnxruntime-node looks for the CUDA provider (the folder of its own native library), or null where
 * that cannot be told (an unusual layout): then loading is simply tried.
 */
export function cudaProviderLibrary(): string | null {
  const names: Partial<Record<NodeJS.Platform, string>> = {
    linux: 'libonnxruntime_providers_cuda.so',
    win32: 'onnxruntime_providers_cuda.dll',
  };
  const name = names[process.platform];
  if (!name) return null;
  try {
    const main = createRequire(import.meta.url).resolve('onnxruntime-node');
    return path.join(path.dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch, name);
  } catch {
    return null;
  }
}

/**
 * Opens a model: a file path (so its external data file resolves next to it), or a source per device (a
 * graph whose frozen weights are fed inputs on the CPU and initializers from memory on CUDA, where inputs
 * would cross to the device on every run). onnxruntime-node throws when the CUDA provider library is
 * missing, which is what 'auto' catches.
 */
export async function openSession(
  model: string | ((device: Device) => ModelSource),
  options: SessionOptions = {},
): Promise<OpenedSession> {
  const sourceFor = typeof model === 'string' ? () => ({ model }) : model;
  const device = options.device ?? 'auto';
  if (device === 'cpu') return { session: await create(sourceFor, 'cpu', options), device: 'cpu' };
  // 'auto' without the provider library: straight to the CPU, without onnxruntime's load errors on stderr.
  const library = device === 'auto' ? cudaProviderLibrary() : null;
  if (library !== null && !existsSync(library)) {
    return {
      session: await create(sourceFor, 'cpu', options),
      device: 'cpu',
      reason: `CUDA unavailable, running on CPU: the onnxruntime CUDA provider is not installed (no ${library}). ${CUDA_SETUP_HINT}`,
    };
  }
  try {
    return { session: await create(sourceFor, 'cuda', options), device: 'cuda' };
  } catch (error) {
    if (device === 'cuda') {
      throw new Error(
        `CUDA was requested but the CUDA execution provider failed to load: ${message(error)}. ${CUDA_SETUP_HINT}`,
        { cause: error },
      );
    }
    const session = await create(sourceFor, 'cpu', options);
    return { session, device: 'cpu', reason: `CUDA unavailable, running on CPU: ${message(error)}` };
  }
}
