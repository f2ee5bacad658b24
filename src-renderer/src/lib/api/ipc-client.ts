// The Electron transport: calls the preload's `window.workbench` bridge and decodes IPC errors, whose
// code travels as a `[code] ` prefix in the message (see src-shared/errors.ts).
import { ApiError, decodeApiError } from '../../../../src-shared/errors';
import {
  buildMethods,
  decodeEvent,
  type WorkbenchClient,
  type WorkbenchEventListener,
} from './workbench-client';

export function createIpcClient(bridge: WorkbenchBridge): WorkbenchClient {
  const methods = buildMethods(async (method, input) => {
    const send = bridge[method] as (input: unknown) => Promise<unknown>;
    try {
      return await send(input);
    } catch (error) {
      throw toApiError(error);
    }
  });
  return {
    ...methods,
    transport: 'ipc',
    onEvent(listener: WorkbenchEventListener): () => void {
      return bridge.onEvent((event, payload) => {
        const decoded = decodeEvent(event, payload);
        if (decoded) listener(decoded);
      });
    },
  };
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return decodeApiError(error instanceof Error ? error.message : String(error));
}
