// Composition shared by the desktop app, the server and the CLI: open the data folder's database,
// build the services over it, and close both together.
import type { ApiHandlers } from '../../src-shared/api';
import { openDatabase } from '../store/open-database';
import { EventBus } from './event-bus';
import { appVersion } from './project-root';
import { createDataServices, createServices, type DataServices } from './workbench-services';

export interface Workbench {
  dataDir: string;
  dbPath: string;
  events: EventBus;
  services: ApiHandlers;
  /** The use cases behind the labeling and data methods, for the CLI's import and export. */
  data: DataServices;
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
  const data = createDataServices(db, events);
  const services = createServices(
    {
      db,
      dataDir: options.dataDir,
      schemaVersion,
      appVersion: appVersion(),
      transport: options.transport,
      events,
      aOnLeft: options.aOnLeft,
    },
    data,
  );
  return { dataDir: options.dataDir, dbPath, events, services, data, close: () => db.close() };
}
