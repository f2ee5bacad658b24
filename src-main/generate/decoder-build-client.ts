// Builds a decoder's model in a worker thread (decoder-build-worker.ts) and receives it by transfer: the
// weights and model bytes move to this thread without a copy. At Qwen2.5-0.5B's size the build takes seconds
// (reading and scanning a private copy of the checkpoint, building and emitting the graph); here the
// calling thread's event loop keeps running meanwhile.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BuiltDecoder, DecoderBuildReply, DecoderBuildRequest } from './decoder-build';

/** The built worker beside the main bundle, or the .ts source through tsx in development and tests. */
function workerUrl(): URL {
  const built = new URL('./decoder-build-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : new URL('./decoder-build-worker.ts', import.meta.url);
}

export function buildDecoderInWorker(request: DecoderBuildRequest): Promise<BuiltDecoder> {
  return new Promise<BuiltDecoder>((resolve, reject) => {
    const url = workerUrl();
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(new URL('../runtime/dev-worker-bootstrap.mjs', import.meta.url), {
          workerData: { request, entry: url.href },
        })
      : new Worker(url, { workerData: { request } });
    let settled = false;
    worker.once('message', (reply: DecoderBuildReply) => {
      settled = true;
      void worker.terminate();
      if (reply.type === 'done') resolve(reply.built);
      else reject(new Error(reply.message));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the decoder build worker exited with code ${code}`));
    });
  });
}
