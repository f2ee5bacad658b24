// The renderer's view of the API, shared by both transports: typed methods whose outputs are checked
// against the contract, plus a subscription to validated server events.
import type { ZodType } from 'zod';
import {
  apiContract,
  describeIssues,
  eventContract,
  type ApiClient,
  type ApiEventPayload,
} from '../../../../src-shared/api';
import { API_METHODS, isApiEvent, type ApiEvent, type ApiMethod } from '../../../../src-shared/api-methods';
import { ApiError } from '../../../../src-shared/errors';

export type Transport = 'ipc' | 'http';

/** One server event with its payload; `switch (e.event)` narrows the payload. */
export type WorkbenchEvent = { [E in ApiEvent]: { event: E; payload: ApiEventPayload<E> } }[ApiEvent];

export type WorkbenchEventListener = (event: WorkbenchEvent) => void;

export type WorkbenchClient = ApiClient & {
  readonly transport: Transport;
  /** Subscribes to server events; returns the function that unsubscribes. */
  onEvent(listener: WorkbenchEventListener): () => void;
};

/** Sends one method call over a transport and resolves with the raw decoded output. */
export type RawCall = (method: ApiMethod, input: unknown) => Promise<unknown>;

/** Builds the typed methods from a transport's raw call, validating each output against the contract. */
export function buildMethods(call: RawCall): ApiClient {
  const entries = API_METHODS.map((method) => {
    const invoke = async (input: unknown): Promise<unknown> => parseOutput(method, await call(method, input));
    return [method, invoke] as const;
  });
  // Object.fromEntries loses the per-method types; each entry was built from the contract for its key.
  return Object.fromEntries(entries) as unknown as ApiClient;
}

function parseOutput(method: ApiMethod, raw: unknown): unknown {
  const schema: ZodType = apiContract[method].output;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ApiError(
    'internal',
    `The server's reply to ${method} does not match the API contract: ${describeIssues(parsed.error)}`,
  );
}

/** Turns an (event name, payload) pair from a transport into a validated event, or null if it is unknown. */
export function decodeEvent(event: unknown, payload: unknown): WorkbenchEvent | null {
  if (!isApiEvent(event)) return null;
  const schema: ZodType = eventContract[event];
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    console.warn(`Ignored a malformed ${event} event: ${describeIssues(parsed.error)}`);
    return null;
  }
  return { event, payload: parsed.data } as WorkbenchEvent;
}
