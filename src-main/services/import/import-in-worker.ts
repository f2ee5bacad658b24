// Runs one import in a worker thread (import-worker.ts) and returns its result, or throws its error as the
// same ApiError the in-thread import would have thrown.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FileImportResult } from '../../../src-shared/schemas';
import { ApiError } from '../../../src-shared/errors';
import type { ImportRequest } from '../labeling/import-service';
import type { ImportWorkerData, ImportWorkerReply } from './import-worker';

/** The built worker beside the main bundle, or the .ts source through tsx in development and tests. */
function workerUrl(): URL {
  const built = new URL('./import-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : new URL('./import-worker.ts', import.meta.url);
}

export type ImportOffload = (request: ImportRequest) => Promise<FileImportResult>;

export function importInWorker(dataDir: string, nativeBinding?: string): ImportOffload {
  return (request) =>
    new Promise<FileImportResult>((resolve, reject) => {
      const url = workerUrl();
      const data: ImportWorkerData = { dataDir, request, ...(nativeBinding ? { nativeBinding } : {}) };
      const worker = url.pathname.endsWith('.ts')
        ? new Worker(new URL('../../runtime/dev-worker-bootstrap.mjs', import.meta.url), {
            workerData: { ...data, entry: url.href },
          })
        : new Worker(url, { workerData: data });
      let settled = false;
      worker.once('message', (reply: ImportWorkerReply) => {
        settled = true;
        void worker.terminate();
        if (reply.type === 'done') resolve(reply.result);
        else reject(reply.code ? new ApiError(reply.code, reply.message) : new Error(reply.message));
      });
      worker.once('error', (error) => {
        settled = true;
        reject(error);
      });
      worker.once('exit', (code) => {
        if (!settled) reject(new Error(`the import worker exited with code ${code}`));
      });
    });
}
