// Composition shared by the desktop app, the server and the CLI: open the data folder's database,
// build the services over it, and close both together.
import type { ApiHandlers } from '../../src-shared/api';
import { openDatabase } from '../store/open-database';
import { EventBus } from './event-bus';
import { appVersion } from './project-root';
import { createServices } from './workbench-services';

export interface Workbench {
  dataDir: string;
  dbPath: string;
  events: EventBus;
  services: ApiHandlers;
  close(): void;
}

export interface OpenWorkbenchOptions {
  dataDir: string;
  transport: 'ipc' | 'http';
  /** better_sqlite3.node built for Electron's ABI, when running inside Electron from a checkout. */
  nativeBinding?: string;
  aOnLeft?: () => boolean;
}

export function openWorkbench(options: OpenWorkbenchOptions): Workbench {
  const { db, dbPath, schemaVersion } = openDatabase(options.dataDir, {
    nativeBinding: options.nativeBinding,
  });
  const events = new EventBus();
  const services = createServices({
    db,
    dataDir: options.dataDir,
    schemaVersion,
    appVersion: appVersion(),
    transport: options.transport,
    events,
    aOnLeft: options.aOnLeft,
  });
  return { dataDir: options.dataDir, dbPath, events, services, close: () => db.close() };
}
