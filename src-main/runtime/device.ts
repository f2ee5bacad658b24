// Execution-provider choice for onnxruntime-node: 'auto' tries CUDA then falls back to CPU and says why;
// an explicit 'cuda' without the provider libraries fails with the fix.
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
