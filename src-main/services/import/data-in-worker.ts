// Runs one data task in a worker thread (data-worker.ts) and returns its result, or throws its error as the
// same ApiError the in-thread call would have become.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ApiError } from '../../../src-shared/errors';
import type { DataTask, DataWorkerData, DataWorkerReply } from './data-worker';

/** The built worker beside the main bundle, or the .ts source through tsx in development and tests. */
function workerUrl(): URL {
  const built = new URL('./data-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : new URL('./data-worker.ts', import.meta.url);
}

/** Runs a task elsewhere; the result type is the in-thread method's. */
export type DataOffload = <T>(task: DataTask) => Promise<T>;

export interface DataOffloadOptions {
  run: DataOffload;
  /** Imports of at least this many bytes go to the worker. */
  importBytes: number;
  /** Dataset builds and exports over at least this many pairs go to the worker. */
  pairs: number;
}

export function dataTasksInWorker(dataDir: string, nativeBinding?: string): DataOffload {
  return <T>(task: DataTask) =>
    new Promise<T>((resolve, reject) => {
      const url = workerUrl();
      const data: DataWorkerData = { dataDir, task, ...(nativeBinding ? { nativeBinding } : {}) };
      const worker = url.pathname.endsWith('.ts')
        ? new Worker(new URL('../../runtime/dev-worker-bootstrap.mjs', import.meta.url), {
            workerData: { ...data, entry: url.href },
          })
        : new Worker(url, { workerData: data });
      let settled = false;
      worker.once('message', (reply: DataWorkerReply) => {
        settled = true;
        void worker.terminate();
        if (reply.type === 'done') resolve(reply.result as T);
        else reject(reply.code ? new ApiError(reply.code, reply.message) : new Error(reply.message));
      });
      worker.once('error', (error) => {
        settled = true;
        reject(error);
      });
      worker.once('exit', (code) => {
        if (!settled) reject(new Error(`the data worker exited with code ${code}`));
      });
    });
}
