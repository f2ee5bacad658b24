// Composition root of the desktop app: one window (sandboxed, isolated, strict CSP), the store and
// services in the main process, the API over IPC, a single-instance lock.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../src-shared/security';
import { defaultDataDir } from './services/data-dir';
import { openWorkbench, SERVER_DATA_OFFLOAD, type Workbench } from './services/open-workbench';
import { createHandlerRegistry } from './transport/handler-registry';
import { forwardEventsToWindow, registerIpcHandlers } from './transport/ipc-transport';
import { isAllowedExternalLink, isSameOrigin } from './transport/navigation';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDevUrl = process.env.ELECTRON_RENDERER_URL;
const rendererFile = path.join(here, '../renderer/index.html');

function isOwnRenderer(url: string): boolean {
  if (rendererDevUrl) return isSameOrigin(url, rendererDevUrl);
  return url.split(/[?#]/)[0] === pathToFileURL(rendererFile).href;
}

function hardenSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
}

function createWindow(workbench: Workbench): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'DPO Workbench',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // The window never leaves its renderer: neither by a link nor by a server's redirect.
  const stayHome = (event: Electron.Event, url: string) => {
    if (!isOwnRenderer(url)) event.preventDefault();
  };
  window.webContents.on('will-navigate', stayHome);
  window.webContents.on('will-redirect', stayHome);
  const stopEvents = forwardEventsToWindow(workbench.events, window.webContents);
  window.on('closed', stopEvents);
  window.once('ready-to-show', () => window.show());
  if (rendererDevUrl) void window.loadURL(rendererDevUrl);
  else void window.loadFile(rendererFile);
  return window;
}

function start(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  let workbench: Workbench;
  try {
    workbench = openWorkbench({
      dataDir: defaultDataDir(),
      transport: 'ipc',
      nativeBinding: process.env.DPO_WORKBENCH_SQLITE_BINDING,
      // Large imports, dataset builds and exports run in a worker thread: the window stays responsive.
      offloadData: SERVER_DATA_OFFLOAD,
    });
  } catch (error) {
    dialog.showErrorBox('DPO Workbench cannot open its data folder', (error as Error).message);
    app.exit(1);
    return;
  }
  hardenSession();
  registerIpcHandlers(ipcMain, createHandlerRegistry(workbench.services), isOwnRenderer);
  let window = createWindow(workbench);
  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) window = createWindow(workbench);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => workbench.close());
}

void app.whenReady().then(start);
