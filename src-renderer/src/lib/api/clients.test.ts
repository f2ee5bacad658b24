// Unit tests for both transports with fakes (no DOM, no server): headers, error decoding, contract checks.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../src-shared/errors';
import { createHttpClient } from './http-client';
import { createIpcClient } from './ipc-client';

const progress = { rated: 1, skipped: 0, remaining: 2, total: 3 };

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('createHttpClient', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('POSTs the input as JSON to /api/<method> with the bearer token', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(200, progress));
    vi.stubGlobal('fetch', fetchMock);
    const client = createHttpClient('XYZ');
    await expect(client.getRatingProgress({ annotatorId: 4 })).resolves.toEqual(progress);
    expect(fetchMock).toHaveBeenCalledWith('/api/getRatingProgress', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer XYZ' },
      body: JSON.stringify({ annotatorId: 4 }),
    });
  });

  it('sends no Authorization header without a token', async () => {
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => jsonResponse(200, progress));
    vi.stubGlobal('fetch', fetchMock);
    await createHttpClient(null).getRatingProgress({ annotatorId: 4 });
    expect(fetchMock.mock.calls[0]?.[1].headers).toEqual({ 'Content-Type': 'application/json' });
  });

  it("turns an error body into an ApiError with the server's code and message verbatim", async () => {
    const message = 'prefs.jsonl line 3, field "rejected": must be a string';
    vi.stubGlobal('fetch', async () => jsonResponse(400, { error: { code: 'bad_file', message } }));
    const failure = createHttpClient(null).importPairs({ fileName: 'prefs.jsonl', content: '{}' });
    await expect(failure).rejects.toEqual(new ApiError('bad_file', message));
  });

  it('reports a non-JSON error reply by its status', async () => {
    vi.stubGlobal(
      'fetch',
      async () => new Response('gateway down', { status: 502, statusText: 'Bad Gateway' }),
    );
    const failure = createHttpClient(null).listAnnotators({});
    await expect(failure).rejects.toMatchObject({
      code: 'internal',
      message: 'The server answered 502 Bad Gateway',
    });
  });

  it('rejects a reply that does not match the contract, naming the field', async () => {
    vi.stubGlobal('fetch', async () => jsonResponse(200, { rated: -1, remaining: 0, total: 0 }));
    const failure = createHttpClient(null).getRatingProgress({ annotatorId: 1 });
    await expect(failure).rejects.toThrow(/getRatingProgress.*rated/);
  });
});

describe('createIpcClient', () => {
  function bridge(overrides: Partial<WorkbenchBridge>): WorkbenchBridge {
    return { onEvent: () => () => undefined, ...overrides } as WorkbenchBridge;
  }

  it('decodes the [code] prefix of an IPC rejection', async () => {
    const client = createIpcClient(
      bridge({
        submitRating: async () => {
          throw new Error(
            "Error invoking remote method 'api:submitRating': Error: [conflict] pair 7 is already rated",
          );
        },
      }),
    );
    const failure = client.submitRating({
      annotatorId: 1,
      pairId: 7,
      leftCandidateId: 3,
      choice: 'tie',
      strength: null,
      note: null,
      timeSpentMs: 10,
    });
    await expect(failure).rejects.toEqual(new ApiError('conflict', 'pair 7 is already rated'));
  });

  it('passes valid events through and drops unknown or malformed ones', () => {
    let emit: (event: string, payload: unknown) => void = () => undefined;
    const client = createIpcClient(
      bridge({
        onEvent: (listener) => {
          emit = listener;
          return () => undefined;
        },
      }),
    );
    const seen: unknown[] = [];
    client.onEvent((event) => seen.push(event));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    emit('ratingsChanged', { annotatorId: 1, pairId: 2, kind: 'rated' });
    emit('ratingsChanged', { annotatorId: 1, pairId: 2, kind: 'exploded' });
    emit('somethingElse', {});
    warn.mockRestore();
    expect(seen).toEqual([
      { event: 'ratingsChanged', payload: { annotatorId: 1, pairId: 2, kind: 'rated' } },
    ]);
  });
});
