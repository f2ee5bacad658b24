// Heavy data work off the server's event loop: a worker thread with its own SQLite connection runs one task
// (an import, all or nothing in one transaction there; a dataset build or rebuild; an export) and posts the
// result; the main thread announces it. A concurrent request is answered meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { ApiError } from '../../../src-shared/errors';
import type { ExportFormat, Split } from '../../../src-shared/labeling-schemas';
import { ConflictError, NotFoundError } from '../../store/errors';
import { openDatabase } from '../../store/open-database';
import { EventBus } from '../jobs/event-bus';
import { createDatasetsService, type DatasetSettings } from '../labeling/datasets-service';
import { createImportService, type ImportRequest } from '../labeling/import-service';

export type DataTask =
  | { kind: 'import'; request: ImportRequest }
  | { kind: 'createDataset'; name: string; settings: DatasetSettings }
  | { kind: 'rebuildDataset'; datasetId: number; changes: Partial<DatasetSettings> }
  | { kind: 'planDatasetSplit'; settings: Omit<DatasetSettings, 'description'> }
  | { kind: 'exportDataset'; datasetId: number; format: ExportFormat; split: Split | null };

export interface DataWorkerData {
  dataDir: string;
  nativeBinding?: string;
  task: DataTask;
}

export type DataWorkerReply =
  { type: 'done'; result: unknown } | { type: 'failed'; code: ApiError['code'] | null; message: string };

function codeOf(error: unknown): ApiError['code'] | null {
  if (error instanceof ApiError) return error.code;
  if (error instanceof ConflictError) return 'conflict';
  if (error instanceof NotFoundError) return 'not_found';
  return null;
}

async function run(): Promise<DataWorkerReply> {
  const { dataDir, nativeBinding, task } = workerData as DataWorkerData;
  const { db } = openDatabase(dataDir, nativeBinding ? { nativeBinding } : {});
  try {
    const events = new EventBus(); // the main thread announces the outcome
    const datasets = createDatasetsService(db, events);
    const result = await (async () => {
      switch (task.kind) {
        case 'import':
          return createImportService(db, events, datasets).importFile(task.request);
        case 'createDataset':
          return datasets.create(task.name, task.settings);
        case 'rebuildDataset':
          return datasets.rebuild(task.datasetId, task.changes);
        case 'planDatasetSplit':
          return datasets.planSplit(task.settings);
        case 'exportDataset':
          return datasets.exportDataset(task.datasetId, task.format, task.split);
      }
    })();
    return { type: 'done', result };
  } catch (error) {
    return {
      type: 'failed',
      code: codeOf(error),
      message: error instanceof Error ? error.message : String(error),
    };
  } finally {
    db.close();
  }
}

void run().then((reply) => parentPort?.postMessage(reply));
