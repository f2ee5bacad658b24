// Worker thread entry: builds a decoder's model (decoder-build.ts: checkpoint read and scan, graph build and
// emit) off the caller's thread and posts it back with every buffer transferred, so nothing is copied.
// Started by buildDecoderInWorker (decoder-build-client.ts), one worker per build.
import { parentPort, workerData } from 'node:worker_threads';
import {
  buildDecoder,
  builtBuffers,
  type DecoderBuildReply,
  type DecoderBuildRequest,
} from './decoder-build';

const port = parentPort;
if (!port) throw new Error('decoder-build-worker.ts must run in a worker thread (use buildDecoderInWorker)');

const { request } = workerData as { request: DecoderBuildRequest };
let reply: DecoderBuildReply;
let transfer: ArrayBuffer[] = [];
try {
  const built = buildDecoder(request);
  reply = { type: 'done', built };
  transfer = builtBuffers(built);
} catch (error) {
  reply = { type: 'failed', message: error instanceof Error ? error.message : String(error) };
}
port.postMessage(reply, transfer);
