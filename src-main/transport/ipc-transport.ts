// Electron IPC transport (main side): one ipcMain.handle channel per API method, each checking that the
// sender is our own renderer before the registry validates the input. Written against a structural
// subset of ipcMain so the contract tests drive it without the Electron binary.
import { API_METHODS, IPC_EVENT_CHANNEL, ipcChannel } from '../../src-shared/api-methods';
import { ApiError, encodeApiError } from '../../src-shared/errors';
import type { EventBus } from '../services/jobs/event-bus';
import { toApiError, type HandlerRegistry } from './handler-registry';

export interface IpcInvokeEvent {
  senderFrame: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/** Registers every method; returns a function that removes them again. */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  registry: HandlerRegistry,
  isTrustedUrl: (url: string) => boolean,
): () => void {
  for (const method of API_METHODS) {
    ipcMain.handle(ipcChannel(method), async (event, input) => {
      const url = event.senderFrame?.url ?? '';
      if (!isTrustedUrl(url)) {
        throw new Error(
          encodeApiError(new ApiError('forbidden', `IPC from an untrusted frame: ${url || '(none)'}`)),
        );
      }
      try {
        return await registry.call(method, input);
      } catch (error) {
        // Electron passes only the message across; encode the code into it (decodeApiError reverses it).
        throw new Error(encodeApiError(toApiError(error)), { cause: error });
      }
    });
  }
  return () => API_METHODS.forEach((method) => ipcMain.removeHandler(ipcChannel(method)));
}

/** Forwards contract events to a window for as long as it lives. */
export function forwardEventsToWindow(events: EventBus, target: EventTarget): () => void {
  const unsubscribe = events.subscribe((event, payload) => {
    if (target.isDestroyed()) {
      unsubscribe();
      return;
    }
    target.send(IPC_EVENT_CHANNEL, event, payload);
  });
  return unsubscribe;
}
