// Ambient types for the renderer: the Electron preload's `window.workbench` bridge.
import type { ApiClient } from '../../src-shared/api';

declare global {
  /** What the Electron preload exposes through contextBridge: one function per API method plus events. */
  type WorkbenchBridge = ApiClient & {
    onEvent(listener: (event: string, payload: unknown) => void): () => void;
  };

  interface Window {
    workbench?: WorkbenchBridge;
  }
}
