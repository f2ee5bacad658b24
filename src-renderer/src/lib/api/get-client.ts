// Picks the transport: the Electron preload's bridge when the page runs inside the desktop app,
// otherwise HTTP against the server that served this page (browser mode).
import { createHttpClient, adoptToken } from './http-client';
import { createIpcClient } from './ipc-client';
import type { WorkbenchClient } from './workbench-client';

export function getClient(): WorkbenchClient {
  if (window.workbench) return createIpcClient(window.workbench);
  return createHttpClient(adoptToken());
}
