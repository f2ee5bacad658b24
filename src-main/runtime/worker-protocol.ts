// Messages between SessionWorker (caller's thread) and session-worker.ts (the thread that owns sessions).
import type { Device, SessionOptions } from './device';
import type { GraphModel } from './graph-model';
import type { Feeds } from './host-tensor';

export type WorkerRequest =
  | { id: number; kind: 'open'; path: string; options: SessionOptions }
  | { id: number; kind: 'open-graph'; model: GraphModel; options: SessionOptions }
  | { id: number; kind: 'run'; session: number; feeds: Feeds; outputs?: readonly string[] }
  | { id: number; kind: 'close'; session: number };

export interface OpenResult {
  session: number;
  device: Device;
  reason?: string;
  inputNames: readonly string[];
  outputNames: readonly string[];
}

export type WorkerResponse =
  { id: number; ok: true; value: OpenResult | Feeds | null } | { id: number; ok: false; error: string };

/** The ArrayBuffers behind a set of tensors, for postMessage's transfer list (each listed once). */
export function buffersOf(feeds: Feeds): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of Object.values(feeds)) {
    if (t.data.buffer instanceof ArrayBuffer) buffers.add(t.data.buffer);
  }
  return [...buffers];
}
