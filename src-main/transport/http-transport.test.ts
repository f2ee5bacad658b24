// Browser-mode security and events: Host/Origin checks, the token beyond loopback, JSON only, and SSE.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../services/jobs/event-bus';
import type { HandlerRegistry } from './handler-registry';
import { createHttpApp, isLoopbackHost, startHttpServer } from './http-transport';

const echoRegistry: HandlerRegistry = { call: async (method, input) => ({ method, input }) };

function app(host: string, token: string | null) {
  return createHttpApp(
    { registry: echoRegistry, events: new EventBus(), host, staticDir: '/nonexistent' },
    token,
  );
}

const json = { 'content-type': 'application/json' };

describe('HTTP transport guard', () => {
  it('knows the loopback names', () => {
    expect(['127.0.0.1', 'localhost', '::1', '127.4.5.6'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '192.168.1.2', 'evil.example'].some(isLoopbackHost)).toBe(false);
  });

  it('answers a loopback request and refuses a rebinding Host', async () => {
    const loopback = app('127.0.0.1', null);
    const ok = await loopback.request('/api/getAppInfo', {
      method: 'POST',
      headers: { ...json, host: '127.0.0.1:8787' },
      body: '{}',
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ method: 'getAppInfo', input: {} });
    const rebound = await loopback.request('/api/getAppInfo', {
      method: 'POST',
      headers: { ...json, host: 'evil.example:8787' },
      body: '{}',
    });
    expect(rebound.status).toBe(403);
  });

  it('refuses a foreign Origin and a non-JSON body', async () => {
    const loopback = app('127.0.0.1', null);
    const headers = { ...json, host: 'localhost:8787' };
    const foreign = await loopback.request('/api/getAppInfo', {
      method: 'POST',
      headers: { ...headers, origin: 'http://evil.example' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
    const same = await loopback.request('/api/getAppInfo', {
      method: 'POST',
      headers: { ...headers, origin: 'http://localhost:8787' },
      body: '{}',
    });
    expect(same.status).toBe(200);
    const form = await loopback.request('/api/getAppInfo', {
      method: 'POST',
      headers: { host: 'localhost:8787', 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(form.status).toBe(400);
    const broken = await loopback.request('/api/getAppInfo', { method: 'POST', headers, body: '{' });
    expect((await broken.json()) as unknown).toEqual({
      error: { code: 'invalid_input', message: 'the request body is not valid JSON' },
    });
  });

  it('requires the token beyond loopback, as a bearer header or a query parameter', async () => {
    const exposed = app('0.0.0.0', 'secret-token');
    const headers = { ...json, host: '192.168.1.20:8787' };
    expect((await exposed.request('/api/getAppInfo', { method: 'POST', headers, body: '{}' })).status).toBe(
      403,
    );
    const wrong = { ...headers, authorization: 'Bearer secret-tokeN' };
    expect(
      (await exposed.request('/api/getAppInfo', { method: 'POST', headers: wrong, body: '{}' })).status,
    ).toBe(403);
    const right = { ...headers, authorization: 'Bearer secret-token' };
    expect(
      (await exposed.request('/api/getAppInfo', { method: 'POST', headers: right, body: '{}' })).status,
    ).toBe(200);
    expect(
      (await exposed.request('/api/getAppInfo?token=secret-token', { method: 'POST', headers, body: '{}' }))
        .status,
    ).toBe(200);
  });

  it('sets a strict Content-Security-Policy', async () => {
    const response = await app('127.0.0.1', null).request('/', { headers: { host: '127.0.0.1' } });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});

describe('server-sent events', () => {
  it('streams contract events to a connected browser', async () => {
    const events = new EventBus();
    const running = await startHttpServer({
      registry: echoRegistry,
      events,
      host: '127.0.0.1',
      port: 0,
      staticDir: '/nonexistent',
    });
    expect(running.token).toBeNull();
    const controller = new AbortController();
    try {
      const response = await fetch(`${running.url}api/events`, { signal: controller.signal });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('event: ready')) text += (await reader.read()).value ?? '';
      events.emit('ratingsChanged', { annotatorId: 1, pairId: 7, kind: 'rated' });
      while (!text.includes('event: ratingsChanged')) text += (await reader.read()).value ?? '';
      expect(text).toContain('data: {"annotatorId":1,"pairId":7,"kind":"rated"}');
    } finally {
      controller.abort();
      await running.close();
    }
  });
});

describe('request body limit', () => {
  it('refuses a declared length over the limit and a chunked body once it passes the limit (413)', async () => {
    const running = await startHttpServer({
      registry: echoRegistry,
      events: new EventBus(),
      host: '127.0.0.1',
      port: 0,
      staticDir: '/nonexistent',
      maxBodyBytes: 1024,
    });
    try {
      const post = (body: string | ReadableStream<Uint8Array>, extra: Record<string, string> = {}) =>
        fetch(`${running.url}api/getAppInfo`, {
          method: 'POST',
          headers: { ...json, ...extra },
          body,
          duplex: 'half',
        } as RequestInit);
      const small = await post(JSON.stringify({ text: 'x'.repeat(900) }));
      expect(small.status).toBe(200);
      const declared = await post(JSON.stringify({ text: 'x'.repeat(2000) }));
      expect(declared.status).toBe(413);
      expect(await declared.json()).toEqual({
        error: { code: 'invalid_input', message: 'the request body is larger than 1024 bytes' },
      });
      // A stream has no Content-Length: it is cut off as soon as 1,024 bytes have arrived.
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(400)));
          controller.close();
        },
      });
      expect((await post(chunks)).status).toBe(413);
    } finally {
      await running.close();
    }
  });
});
