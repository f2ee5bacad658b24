// Composition shared by the desktop app, the server and the CLI: open the data folder's database,
// build the services over it, and close both together.
import type { ApiHandlers } from '../../src-shared/api';
import { openDatabase } from '../store/open-database';
import { RunsRepo } from '../store/runs-repo';
import { EventBus } from './jobs/event-bus';
import { probeDevice } from './models/device-probe';
import { JobRunner } from './jobs/job-runner';
import { createModelsService, registerEmbeddedModel, type ModelsService } from './models/models-service';
import { appVersion, findProjectRoot } from './project-root';
import { dataTasksInWorker } from './import/data-in-worker';
import { createDataServices, createServices, type DataServices } from './workbench-services';

export interface Workbench {
  dataDir: string;
  dbPath: string;
  events: EventBus;
  services: ApiHandlers;
  /** The use cases behind the labeling and data methods, for the CLI's import and export. */
  data: DataServices;
  /** Long work (generation, training, comparison runs) as stored, cancellable jobs. */
  jobs: JobRunner;
  /** Model versions (embedded, imported, trained) and their folders. */
  models: ModelsService;
  close(): void;
}

export interface OpenWorkbenchOptions {
  dataDir: string;
  transport: 'ipc' | 'http';
  /** better_sqlite3.node built for Electron's ABI, when running inside Electron from a checkout. */
  nativeBinding?: string;
  aOnLeft?: () => boolean;
  /** Register resources/tiny-model when it ships (default true; tests that count models turn it off). */
  registerEmbeddedModel?: boolean;
  /** importModel reads only folders under these when set (serve beyond loopback). */
  modelRoots?: readonly string[];
  /**
   * Heavy data work in a worker thread (a server's event loop stays free): imports of at least `importBytes`,
   * dataset builds and exports over at least `pairs` pairs.
   */
  offloadData?: { importBytes: number; pairs: number };
}

/**
 * What a server (serve, the desktop app) hands to the worker: imports of 1 MiB and more, dataset builds and
 * exports over 20,000 pairs (seconds of work at 100,000; under these the worker's start costs more).
 */
export const SERVER_DATA_OFFLOAD = { importBytes: 1024 * 1024, pairs: 20_000 };

export function openWorkbench(options: OpenWorkbenchOptions): Workbench {
  const { db, dbPath, schemaVersion } = openDatabase(options.dataDir, {
    nativeBinding: options.nativeBinding,
  });
  const events = new EventBus();
  const jobs = new JobRunner(db, events);
  jobs.markInterruptedAtStartup();
  new RunsRepo(db).markInterrupted(); // runs a crash left running: 'interrupted', with Resume
  const models = createModelsService({ db, events, device: () => probeDevice('auto') });
  if (options.registerEmbeddedModel !== false) registerEmbeddedModel(models, findProjectRoot());
  const runTask = dataTasksInWorker(options.dataDir, options.nativeBinding);
  const offload = options.offloadData && {
    ...options.offloadData,
    run: runTask,
  };
  const data = createDataServices(db, events, offload);
  const services = createServices(
    {
      db,
      dataDir: options.dataDir,
      schemaVersion,
      appVersion: appVersion(),
      transport: options.transport,
      events,
      aOnLeft: options.aOnLeft,
      jobs,
      models,
      ...(options.modelRoots ? { modelRoots: options.modelRoots } : {}),
    },
    data,
  );
  const close = () => {
    // Running jobs are told to stop; any still marked running when the process ends are marked
    // interrupted on the next start.
    jobs.close();
    db.close();
  };
  return { dataDir: options.dataDir, dbPath, events, services, data, jobs, models, close };
}
