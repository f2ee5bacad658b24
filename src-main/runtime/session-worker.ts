// Worker thread entry: owns onnxruntime sessions so that run(), which is synchronous native work, never
// blocks the thread that asked for it. Started by SessionWorker (worker-client.ts).
import { parentPort } from 'node:worker_threads';
import type { Feeds } from './host-tensor';
import { EngineSession } from './session';
import { buffersOf, type WorkerRequest, type WorkerResponse } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('session-worker.ts must run in a worker thread (use SessionWorker)');

const sessions = new Map<number, EngineSession>();
let nextSession = 1;

function session(id: number): EngineSession {
  const found = sessions.get(id);
  if (!found) throw new Error(`session ${id} is not open in this worker`);
  return found;
}

/**
 * Outputs whose buffers can be transferred: onnxruntime-node gives each output its own ArrayBuffer, which
 * moves as is (a KV cache is tens of MB per decode step); a view into a shared buffer is copied.
 */
function detached(outputs: Feeds): Feeds {
  const copy: Feeds = {};
  const seen = new Set<ArrayBufferLike>();
  for (const [name, t] of Object.entries(outputs)) {
    const { buffer, byteOffset, byteLength } = t.data;
    const own = buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength;
    copy[name] = own && !seen.has(buffer) ? t : { ...t, data: t.data.slice() };
    seen.add(buffer);
  }
  return copy;
}

async function handle(request: WorkerRequest): Promise<[WorkerResponse, ArrayBuffer[]]> {
  switch (request.kind) {
    case 'open':
    case 'open-graph': {
      const opened =
        request.kind === 'open'
          ? await EngineSession.open(request.path, request.options)
          : await EngineSession.openGraph(request.model, request.options);
      const id = nextSession++;
      sessions.set(id, opened);
      const value = {
        session: id,
        device: opened.device,
        ...(opened.reason === undefined ? {} : { reason: opened.reason }),
        inputNames: opened.inputNames,
        outputNames: opened.outputNames,
      };
      return [{ id: request.id, ok: true, value }, []];
    }
    case 'run': {
      const outputs = detached(await session(request.session).run(request.feeds, request.outputs));
      return [{ id: request.id, ok: true, value: outputs }, buffersOf(outputs)];
    }
    case 'close':
      await session(request.session).release();
      sessions.delete(request.session);
      return [{ id: request.id, ok: true, value: null }, []];
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    ([response, transfer]) => port.postMessage(response, transfer),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      port.postMessage({ id: request.id, ok: false, error: message } satisfies WorkerResponse);
    },
  );
});
