// The browser-mode transport: `POST /api/<method>` with JSON, errors as `{ error: { code, message } }`,
// server-sent events from `GET /api/events`, and an optional bearer token handed over in `?token=`.
import { ApiError, type ApiErrorCode } from '../../../../src-shared/errors';
import { API_EVENTS } from '../../../../src-shared/api-methods';
import {
  buildMethods,
  decodeEvent,
  type WorkbenchClient,
  type WorkbenchEventListener,
} from './workbench-client';

const TOKEN_KEY = 'dpo-workbench.token';

const ERROR_CODES: readonly ApiErrorCode[] = [
  'invalid_input',
  'not_found',
  'conflict',
  'bad_file',
  'forbidden',
  'internal',
];

/**
 * Moves a `?token=` from the page URL into sessionStorage and out of the address bar (so it is not
 * bookmarked or shared by accident), then returns the stored token, if any.
 */
export function adoptToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function createHttpClient(token: string | null): WorkbenchClient {
  const methods = buildMethods(async (method, input) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (token) headers['Authorization'] = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(`/api/${method}`, { method: 'POST', headers, body: JSON.stringify(input) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ApiError('internal', `Could not reach the workbench server (${reason}).`);
    }
    if (response.ok) return response.json();
    throw await readError(response);
  });
  const events = new SharedEventSource(token);
  return {
    ...methods,
    transport: 'http',
    onEvent: (listener) => events.subscribe(listener),
  };
}

async function readError(response: Response): Promise<ApiError> {
  const fallback = `The server answered ${response.status} ${response.statusText}`.trim();
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return new ApiError('internal', fallback);
  }
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return new ApiError('internal', fallback);
  const { code, message } = error as { code?: unknown; message?: unknown };
  const knownCode = ERROR_CODES.find((c) => c === code) ?? 'internal';
  return new ApiError(knownCode, typeof message === 'string' ? message : fallback);
}

/** One EventSource for every subscriber, opened with the first and closed with the last. */
class SharedEventSource {
  readonly #url: string;
  readonly #listeners = new Set<WorkbenchEventListener>();
  #source: EventSource | null = null;

  constructor(token: string | null) {
    this.#url = token ? `/api/events?token=${encodeURIComponent(token)}` : '/api/events';
  }

  subscribe(listener: WorkbenchEventListener): () => void {
    this.#listeners.add(listener);
    if (!this.#source) this.#source = this.#open();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#source) {
        this.#source.close();
        this.#source = null;
      }
    };
  }

  #open(): EventSource {
    const source = new EventSource(this.#url);
    for (const name of API_EVENTS) {
      source.addEventListener(name, (message: MessageEvent<string>) => {
        let payload: unknown;
        try {
          payload = JSON.parse(message.data);
        } catch {
          console.warn(`Ignored a ${name} event whose data is not JSON.`);
          return;
        }
        const decoded = decodeEvent(name, payload);
        if (decoded) for (const listener of this.#listeners) listener(decoded);
      });
    }
    return source;
  }
}
