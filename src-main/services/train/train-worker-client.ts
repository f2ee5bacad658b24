// Runs one training attempt in a worker thread (train-worker.ts) and relays what it reports: start info,
// each logged row, reference-cache lookups against the main thread's cache, and the outcome. An abort
// signal asks the worker to stop after its current step (it writes a checkpoint first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ReferenceLogpCache, TrainStartInfo } from '../../train/index';
import type { FailureKind, FromWorker, ToWorker, TrainWorkerRequest } from './train-worker-protocol';

export interface TrainHooks {
  cache?: ReferenceLogpCache;
  signal?: AbortSignal;
  onStart?(info: TrainStartInfo): void;
  onLog?(row: Record<string, number>): void;
  onWarning?(message: string): void;
}

export interface TrainOutcome {
  status: 'completed' | 'cancelled';
  steps: number;
  device: string;
}

/** A failed attempt; `kind` tells a NaN stop and an out-of-memory error from the rest. */
export class TrainFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** The built worker beside the main bundle, or the .ts source through tsx in development and tests. */
function workerUrl(): URL {
  const built = new URL('./train-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : new URL('./train-worker.ts', import.meta.url);
}

function startWorker(): Worker {
  const url = workerUrl();
  return url.pathname.endsWith('.ts')
    ? new Worker(new URL('../../runtime/dev-worker-bootstrap.mjs', import.meta.url), {
        workerData: { entry: url.href },
      })
    : new Worker(url);
}

export type RunTraining = (request: TrainWorkerRequest, hooks: TrainHooks) => Promise<TrainOutcome>;

export const runTrainingInWorker: RunTraining = (request, hooks) =>
  new Promise<TrainOutcome>((resolve, reject) => {
    const worker = startWorker();
    const send = (message: ToWorker): void => worker.postMessage(message);
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', cancel);
      void worker.terminate();
      finish();
    };
    const cancel = (): void => send({ type: 'cancel' });
    hooks.signal?.addEventListener('abort', cancel);
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'start':
          hooks.onStart?.(message.info);
          break;
        case 'log':
          hooks.onLog?.(message.row);
          break;
        case 'warning':
          hooks.onWarning?.(message.message);
          break;
        case 'cache-get':
          void (hooks.cache?.get(message.modelHash, message.keys) ?? Promise.resolve(new Map()))
            .then((found) => send({ type: 'cache-reply', id: message.id, entries: [...found] }))
            .catch(() => send({ type: 'cache-reply', id: message.id, entries: [] }));
          break;
        case 'cache-put':
          void (hooks.cache?.put(message.modelHash, new Map(message.entries)) ?? Promise.resolve())
            .catch(() => undefined) // a cache that cannot store only costs a recomputation next time
            .then(() => send({ type: 'cache-reply', id: message.id, entries: [] }));
          break;
        case 'done':
          settle(() => resolve({ status: message.status, steps: message.steps, device: message.device }));
          break;
        case 'failed':
          settle(() => reject(new TrainFailure(message.kind, message.message)));
      }
    });
    worker.on('error', (error) => settle(() => reject(new TrainFailure('error', error.message))));
    worker.on('exit', (code) =>
      settle(() => reject(new TrainFailure('error', `the training worker exited with code ${code}`))),
    );
    if (hooks.signal?.aborted) cancel();
    send({ type: 'run', request });
  });
