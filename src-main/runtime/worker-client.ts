// SessionWorker: the caller's handle on a worker thread that owns onnxruntime sessions. Feeds go over by
// postMessage (their buffers transferred when asked), results come back with transferred buffers.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SessionOptions } from './device';
import type { GraphModel } from './graph-model';
import type { Feeds } from './host-tensor';
import { buffersOf, type OpenResult, type WorkerRequest, type WorkerResponse } from './worker-protocol';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** The worker entry next to this file: the built .js, or the .ts source (through tsx) in development and tests. */
function defaultWorkerUrl(): URL {
  const built = new URL('./session-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : new URL('./session-worker.ts', import.meta.url);
}

export interface RunOptions {
  /** Compute only these outputs. */
  outputs?: readonly string[];
  /** Move the feeds' buffers to the worker instead of copying them (the caller's arrays become empty). */
  transfer?: boolean;
}

export class SessionWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(workerUrl: URL = defaultWorkerUrl()) {
    this.worker = workerUrl.pathname.endsWith('.ts')
      ? new Worker(new URL('./dev-worker-bootstrap.mjs', import.meta.url), {
          workerData: { entry: workerUrl.href },
        })
      : new Worker(workerUrl);
    this.worker.on('message', (response: WorkerResponse) => {
      const waiting = this.pending.get(response.id);
      this.pending.delete(response.id);
      if (!waiting) return;
      if (response.ok) waiting.resolve(response.value);
      else waiting.reject(new Error(response.error));
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new Error(`session worker exited with code ${code}`)));
  }

  /** Opens a model in the worker; the result says which device it got and why. */
  open(path: string, options: SessionOptions = {}): Promise<OpenResult> {
    return this.send({ kind: 'open', path, options }) as Promise<OpenResult>;
  }

  /**
   * Opens a graph model in the worker. Its weights cross by postMessage: copied, or with `move` moved
   * (transferred: no copy, the caller's arrays become empty), so the worker holds the only copy.
   * (onnxruntime-node 1.29 refuses tensors over a SharedArrayBuffer, so threads cannot share one.)
   */
  openGraph(model: GraphModel, options: SessionOptions = {}, move = false): Promise<OpenResult> {
    return this.send(
      { kind: 'open-graph', model, options },
      move ? buffersOf(model.weights) : [],
    ) as Promise<OpenResult>;
  }

  run(session: number, feeds: Feeds, options: RunOptions = {}): Promise<Feeds> {
    const request = {
      kind: 'run' as const,
      session,
      feeds,
      ...(options.outputs ? { outputs: options.outputs } : {}),
    };
    return this.send(request, options.transfer ? buffersOf(feeds) : []) as Promise<Feeds>;
  }

  async close(session: number): Promise<void> {
    await this.send({ kind: 'close', session });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private send(request: Request, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
