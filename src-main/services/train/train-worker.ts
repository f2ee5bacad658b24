// The training worker thread: loads the model and the run's pairs and runs the DPO trainer here, so the
// graph building and onnxruntime's synchronous runs never block the main process (its HTTP server, its
// windows). Reference log-probs are looked up and stored through the main thread, which owns SQLite.
import { parentPort } from 'node:worker_threads';
import { NotFiniteError, trainDpo, type CachedLogp, type ReferenceLogpCache } from '../../train/index';
import { loadRunInput } from './run-files';
import {
  isOutOfMemory,
  type FromWorker,
  type ToWorker,
  type TrainWorkerRequest,
} from './train-worker-protocol';

const port = parentPort;
if (!port) throw new Error('train-worker.ts must run in a worker thread (use runTrainingInWorker)');

const post = (message: FromWorker): void => port.postMessage(message);
const controller = new AbortController();
const replies = new Map<number, (entries: [string, CachedLogp][]) => void>();
let nextId = 1;

/** The main thread's SQLite cache, one round trip per lookup or store. */
const cache: ReferenceLogpCache = {
  get: (modelHash, keys) =>
    new Promise((resolve) => {
      const id = nextId++;
      replies.set(id, (entries) => resolve(new Map(entries)));
      post({ type: 'cache-get', id, modelHash, keys: [...keys] });
    }),
  put: (modelHash, entries) =>
    new Promise((resolve) => {
      const id = nextId++;
      replies.set(id, () => resolve());
      post({ type: 'cache-put', id, modelHash, entries: [...entries] });
    }),
};

async function run(request: TrainWorkerRequest): Promise<void> {
  const input = await loadRunInput(request.modelDir, request.adapterDir, request.runDir, request.args);
  const result = await trainDpo({
    model: input.model,
    examples: input.examples,
    split: input.split,
    padTokenId: input.padTokenId,
    outDir: request.runDir,
    args: request.args,
    resume: request.resume,
    referenceCache: cache,
    ...(input.initAdapter ? { initAdapter: input.initAdapter } : {}),
    signal: controller.signal,
    onStart: (info) => post({ type: 'start', info }),
    onLog: (row) => post({ type: 'log', row }),
    onWarning: (message) => post({ type: 'warning', message }),
  });
  post({ type: 'done', status: result.status, steps: result.steps, device: result.device });
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') controller.abort();
  else if (message.type === 'cache-reply') {
    replies.get(message.id)?.(message.entries);
    replies.delete(message.id);
  } else {
    run(message.request).catch((error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      const kind =
        error instanceof NotFiniteError ? 'not-finite' : isOutOfMemory(text) ? 'out-of-memory' : 'error';
      post({ type: 'failed', kind, message: text });
    });
  }
});
