// Messages between the main thread (train-worker-client.ts) and the training worker (train-worker.ts): the
// run goes in; start info, logged rows and reference-cache lookups (answered from SQLite by the main
// thread) come out, then the outcome.
import type { CachedLogp, TrainArgs, TrainStartInfo } from '../../train/index';

export interface TrainWorkerRequest {
  modelDir: string;
  /** The base version's own adapter when it is itself a trained version. */
  adapterDir?: string;
  /** Holds train.jsonl and eval.jsonl; the adapter, metrics.jsonl and checkpoint/ are written here. */
  runDir: string;
  args: TrainArgs;
  /** Insist on <runDir>/checkpoint (a resume); otherwise it is used when present. */
  resume: boolean;
}

export type FailureKind = 'not-finite' | 'out-of-memory' | 'error';

export type ToWorker =
  | { type: 'run'; request: TrainWorkerRequest }
  | { type: 'cancel' }
  | { type: 'cache-reply'; id: number; entries: [string, CachedLogp][] };

export type FromWorker =
  | { type: 'start'; info: TrainStartInfo }
  | { type: 'log'; row: Record<string, number> }
  | { type: 'warning'; message: string }
  | { type: 'cache-get'; id: number; modelHash: string; keys: string[] }
  | { type: 'cache-put'; id: number; modelHash: string; entries: [string, CachedLogp][] }
  | { type: 'done'; status: 'completed' | 'cancelled'; steps: number; device: string }
  | { type: 'failed'; kind: FailureKind; message: string };

/** onnxruntime's and CUDA's ways of saying the device ran out of memory. */
export function isOutOfMemory(message: string): boolean {
  return /out of memory|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|Failed to allocate memory|bad_alloc/i.test(
    message,
  );
}
