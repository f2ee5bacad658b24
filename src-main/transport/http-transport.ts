// Browser-mode transport: the same API as JSON over HTTP (POST /api/<method>) and contract events as
// server-sent events (GET /api/events), plus the built renderer. Loopback by default; any other address
// requires the random token printed at start. Host and Origin are checked against DNS rebinding and CSRF;
// a body over the contract's limit is refused (413) from its Content-Length, or as soon as a stream passes it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context, type Next } from 'hono';
import { streamSSE } from 'hono/streaming';
import { MAX_REQUEST_BYTES } from '../../src-shared/api';
import { ApiError } from '../../src-shared/errors';
import { CONTENT_SECURITY_POLICY } from '../../src-shared/security';
import type { EventBus } from '../services/jobs/event-bus';
import { toApiError, type HandlerRegistry } from './handler-registry';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface HttpServerOptions {
  registry: HandlerRegistry;
  events: EventBus;
  host: string;
  port: number;
  /** The built renderer (dist-web); when missing, pages answer with how to build it. */
  staticDir: string;
  /** Required when binding beyond loopback; generated when not given. */
  token?: string;
  /** Request bodies over this many bytes are refused with 413 (default: the contract's MAX_REQUEST_BYTES). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  url: string;
  token: string | null;
  server: ServerType;
  close(): Promise<void>;
}

const STATUS_BY_CODE: Record<ApiError['code'], 400 | 403 | 404 | 409 | 422 | 500 | 503> = {
  invalid_input: 400,
  bad_file: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unavailable: 503,
  internal: 500,
};

function errorResponse(c: Context, error: ApiError): Response {
  return c.json({ error: { code: error.code, message: error.message } }, STATUS_BY_CODE[error.code]);
}

function tooLarge(c: Context, limit: number): Response {
  // The rest of the body is never read: the connection is closed after this answer.
  c.header('Connection', 'close');
  const size = limit >= 1024 * 1024 ? `${Math.round(limit / (1024 * 1024))} MiB` : `${limit} bytes`;
  return c.json(
    { error: { code: 'invalid_input', message: `the request body is larger than ${size}` } },
    413,
  );
}

/** The body as text, or 'too large' as soon as more than `limit` bytes have arrived. */
async function readCappedBody(request: Request, limit: number): Promise<Uint8Array | 'too large'> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return 'too large';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Strict UTF-8: a lenient decode would turn bad bytes into U+FFFD and store them as text. */
function decodeUtf8(body: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hostnameOf(hostHeader: string): string {
  return hostHeader.startsWith('[')
    ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
    : hostHeader.split(':')[0]!;
}

function guard(bindHost: string, token: string | null) {
  return async (c: Context, next: Next) => {
    const hostHeader = c.req.header('host') ?? '';
    // Bound to loopback, only loopback names may reach us: a rebinding page's Host is its own domain.
    if (isLoopbackHost(bindHost) && !isLoopbackHost(hostnameOf(hostHeader))) {
      return errorResponse(c, new ApiError('forbidden', `Host "${hostHeader}" is not allowed`));
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== `http://${hostHeader}`) {
      return errorResponse(c, new ApiError('forbidden', `Origin "${origin}" is not allowed`));
    }
    if (token !== null && c.req.path.startsWith('/api/')) {
      const bearer = c.req.header('authorization')?.replace(/^Bearer /, '') ?? c.req.query('token') ?? '';
      if (!sameToken(bearer, token))
        return errorResponse(c, new ApiError('forbidden', 'missing or wrong token'));
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  };
}

export function createHttpApp(options: Omit<HttpServerOptions, 'port'>, token: string | null): Hono {
  const app = new Hono();
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BYTES;
  app.use('*', guard(options.host, token));

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const unsubscribe = options.events.subscribe((event, payload) => {
        void stream.writeSSE({ event, data: JSON.stringify(payload) });
      });
      const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n'), 15_000);
      await stream.writeSSE({ event: 'ready', data: '{}' });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(keepAlive);
      unsubscribe();
    }),
  );

  app.post('/api/:method', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
      return errorResponse(c, new ApiError('invalid_input', 'Content-Type must be application/json'));
    }
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > maxBodyBytes) return tooLarge(c, maxBodyBytes);
    const body = await readCappedBody(c.req.raw, maxBodyBytes);
    if (body === 'too large') return tooLarge(c, maxBodyBytes);
    const text = decodeUtf8(body);
    if (text === undefined)
      return errorResponse(c, new ApiError('invalid_input', 'the request body is not valid UTF-8'));
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return errorResponse(c, new ApiError('invalid_input', 'the request body is not valid JSON'));
    }
    try {
      return c.json((await options.registry.call(c.req.param('method'), input)) ?? null);
    } catch (error) {
      return errorResponse(c, toApiError(error));
    }
  });

  app.all('/api/*', (c) =>
    errorResponse(c, new ApiError('not_found', `no API route ${c.req.method} ${c.req.path}`)),
  );

  if (existsSync(options.staticDir)) {
    app.use('/*', serveStatic({ root: options.staticDir }));
  } else {
    app.get('/', (c) =>
      c.text(`The renderer is not built (${options.staticDir} is missing): run npm run build:web`, 503),
    );
  }
  return app;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const token = isLoopbackHost(options.host)
    ? (options.token ?? null)
    : (options.token ?? randomBytes(24).toString('base64url'));
  const app = createHttpApp(options, token);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () =>
      resolve(started),
    );
    started.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    token,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
