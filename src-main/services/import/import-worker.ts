// The import off the server's event loop: a worker thread with its own SQLite connection parses, validates
// and stores one file (all or nothing, in one transaction there) and posts the result; the main thread
// announces it. Used for large files, so a concurrent request is answered while gigabytes of JSON are read.
import { parentPort, workerData } from 'node:worker_threads';
import { ApiError } from '../../../src-shared/errors';
import { EventBus } from '../jobs/event-bus';
import { createDatasetsService } from '../labeling/datasets-service';
import { createImportService, type ImportRequest } from '../labeling/import-service';
import { openDatabase } from '../../store/open-database';

export interface ImportWorkerData {
  dataDir: string;
  nativeBinding?: string;
  request: ImportRequest;
}

export type ImportWorkerReply =
  | { type: 'done'; result: Awaited<ReturnType<ReturnType<typeof createImportService>['importFile']>> }
  | { type: 'failed'; code: ApiError['code'] | null; message: string };

async function run(): Promise<ImportWorkerReply> {
  const { dataDir, nativeBinding, request } = workerData as ImportWorkerData;
  const { db } = openDatabase(dataDir, nativeBinding ? { nativeBinding } : {});
  try {
    const events = new EventBus(); // the main thread announces the outcome
    const imports = createImportService(db, events, createDatasetsService(db, events));
    return { type: 'done', result: await imports.importFile(request) };
  } catch (error) {
    const code = error instanceof ApiError ? error.code : null;
    return { type: 'failed', code, message: error instanceof Error ? error.message : String(error) };
  } finally {
    db.close();
  }
}

void run().then((reply) => parentPort?.postMessage(reply));
