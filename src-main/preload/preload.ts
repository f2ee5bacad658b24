// Sandboxed preload: exposes one function per API method (window.workbench.<method>) and an event
// subscription. Channel names come from the shared method list only; nothing else reaches ipcRenderer.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  API_METHODS,
  IPC_EVENT_CHANNEL,
  ipcChannel,
  isApiEvent,
  type ApiEvent,
} from '../../src-shared/api-methods';

type EventCallback = (event: ApiEvent, payload: unknown) => void;

const methods = Object.fromEntries(
  API_METHODS.map((method) => [method, (input: unknown) => ipcRenderer.invoke(ipcChannel(method), input)]),
);

contextBridge.exposeInMainWorld('workbench', {
  ...methods,
  onEvent(callback: EventCallback): () => void {
    const listener = (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (isApiEvent(name)) callback(name, payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, listener);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, listener);
  },
});
