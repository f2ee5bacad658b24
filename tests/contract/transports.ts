// Test clients for the two transports over one workbench: IPC through the handler registry with a fake
// ipcMain (no Electron binary needed), and HTTP through a real server on an ephemeral loopback port.
import type { ApiClient } from '../../src-shared/api';
import { API_METHODS, ipcChannel, type ApiMethod } from '../../src-shared/api-methods';
import { ApiError, decodeApiError } from '../../src-shared/errors';
import type { Workbench } from '../../src-main/services/open-workbench';
import { createHandlerRegistry } from '../../src-main/transport/handler-registry';
import { startHttpServer } from '../../src-main/transport/http-transport';
import { registerIpcHandlers, type IpcInvokeEvent } from '../../src-main/transport/ipc-transport';

export const TRUSTED_URL = 'file:///app/out/renderer/index.html';

export interface TestTransport {
  client: ApiClient;
  /** Calls a method with an arbitrary (possibly invalid) payload. */
  raw(method: string, input: unknown): Promise<unknown>;
  close(): Promise<void>;
}

type Listener = (event: IpcInvokeEvent, ...args: unknown[]) => unknown;

function clientFrom(raw: (method: ApiMethod, input: unknown) => Promise<unknown>): ApiClient {
  return Object.fromEntries(API_METHODS.map((m) => [m, (input: unknown) => raw(m, input)])) as ApiClient;
}

export function ipcTransport(
  workbench: Workbench,
  frameUrl = TRUSTED_URL,
): TestTransport & { channels: string[] } {
  const handlers = new Map<string, Listener>();
  const fakeIpcMain = {
    handle: (channel: string, listener: Listener) => void handlers.set(channel, listener),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  const unregister = registerIpcHandlers(
    fakeIpcMain,
    createHandlerRegistry(workbench.services),
    (url) => url === TRUSTED_URL,
  );
  const raw = async (method: string, input: unknown) => {
    const handler = handlers.get(ipcChannel(method as ApiMethod));
    if (!handler) throw new ApiError('not_found', `no IPC channel for ${method}`);
    try {
      return await handler({ senderFrame: { url: frameUrl } }, input);
    } catch (error) {
      throw decodeApiError((error as Error).message);
    }
  };
  return { client: clientFrom(raw), raw, channels: [...handlers.keys()], close: async () => unregister() };
}

export async function httpTransport(workbench: Workbench): Promise<TestTransport & { url: string }> {
  const running = await startHttpServer({
    registry: createHandlerRegistry(workbench.services),
    events: workbench.events,
    host: '127.0.0.1',
    port: 0,
    staticDir: '/nonexistent',
  });
  const raw = async (method: string, input: unknown) => {
    const response = await fetch(`${running.url}api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const body = (await response.json()) as { error?: { code: ApiError['code']; message: string } };
    if (!response.ok)
      throw Object.assign(new ApiError(body.error!.code, body.error!.message), { status: response.status });
    return body;
  };
  return { client: clientFrom(raw), raw, url: running.url, close: () => running.close() };
}

/** The rejection a refused call ends in (the test fails if the call succeeds). */
export async function rejection(promise: Promise<unknown>): Promise<ApiError & { status?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected the call to be refused');
}

/** Both transports, for describe.each: every contract suite runs through IPC and HTTP alike. */
export const TRANSPORTS: Array<[string, (wb: Workbench) => TestTransport | Promise<TestTransport>]> = [
  ['ipc', (wb) => ipcTransport(wb)],
  ['http', (wb) => httpTransport(wb)],
];
