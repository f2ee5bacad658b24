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
}

export interface OpenedSession {
  session: ort.InferenceSession;
  device: Device;
  /** Why the device differs from the request (auto that fell back to CPU). */
  reason?: string;
}

export const CUDA_SETUP_HINT =
  'Run `npm run setup:cuda` to install the onnxruntime CUDA provider; it needs CUDA 13 and cuDNN 9 on this machine.';

function ortOptions(options: SessionOptions, providers: string[]): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads === undefined ? {} : { intraOpNumThreads: options.intraOpThreads }),
  };
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
 * Opens a model from a file path (so its external data file resolves next to it). onnxruntime-node throws
 * when the CUDA provider library is missing, which is what 'auto' catches.
 */
export async function openSession(modelPath: string, options: SessionOptions = {}): Promise<OpenedSession> {
  const device = options.device ?? 'auto';
  if (device === 'cpu') {
    return {
      session: await ort.InferenceSession.create(modelPath, ortOptions(options, ['cpu'])),
      device: 'cpu',
    };
  }
  // 'auto' without the provider library: straight to the CPU, without onnxruntime's load errors on stderr.
  const library = device === 'auto' ? cudaProviderLibrary() : null;
  if (library !== null && !existsSync(library)) {
    return {
      session: await ort.InferenceSession.create(modelPath, ortOptions(options, ['cpu'])),
      device: 'cpu',
      reason: `CUDA unavailable, running on CPU: the onnxruntime CUDA provider is not installed (no ${library}). ${CUDA_SETUP_HINT}`,
    };
  }
  try {
    const session = await ort.InferenceSession.create(modelPath, ortOptions(options, ['cuda', 'cpu']));
    return { session, device: 'cuda' };
  } catch (error) {
    if (device === 'cuda') {
      throw new Error(
        `CUDA was requested but the CUDA execution provider failed to load: ${message(error)}. ${CUDA_SETUP_HINT}`,
        { cause: error },
      );
    }
    const session = await ort.InferenceSession.create(modelPath, ortOptions(options, ['cpu']));
    return { session, device: 'cpu', reason: `CUDA unavailable, running on CPU: ${message(error)}` };
  }
}
