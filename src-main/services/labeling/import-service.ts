// Importing a file (pairs or prompts, any supported format) all-or-nothing: every row is validated before
// the first one is stored, then the pairs, prompts and, when asked, a dataset snapshot go in one transaction.
// A server hands large files to a worker thread (offload) so its event loop keeps answering.
import type Database from 'better-sqlite3';
import { ApiError } from '../../../src-shared/errors';
import { DatasetName } from '../../../src-shared/labeling-schemas';
import type { FileImportResult, ImportAs } from '../../../src-shared/schemas';
import { PairsRepo } from '../../store/pairs-repo';
import type { DatasetsService } from './datasets-service';
import type { EventBus } from '../jobs/event-bus';
import { parseImportFile } from '../import/parse-import-file';

export interface ImportRequest {
  fileName: string;
  bytes: Uint8Array;
  as?: ImportAs;
  /** Also snapshot the imported pairs as a new dataset of this name (rating = the file's preference). */
  dataset?: string;
  /** With dataset: the eval share of its split (by prompt); 0 (no eval split) when absent. */
  evalFraction?: number;
}

export interface ImportOffloadOptions {
  /** Imports the request elsewhere (a worker thread with its own connection) and returns the result. */
  offload: (request: ImportRequest) => Promise<FileImportResult>;
  /** Files of at least this many bytes are offloaded; smaller ones are quicker here. */
  fromBytes: number;
}

export function createImportService(
  db: Database.Database,
  events: EventBus,
  datasets: DatasetsService,
  offload?: ImportOffloadOptions,
) {
  const pairs = new PairsRepo(db);

  /** The API's DatasetName rule, for the command line's --dataset too; returns the trimmed name. */
  function validDatasetName(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    const checked = DatasetName.safeParse(name);
    if (!checked.success)
      throw new ApiError('invalid_input', `dataset name: ${checked.error.issues[0]?.message ?? 'not valid'}`);
    return checked.data;
  }

  function checkDatasetName(request: ImportRequest, kind: ImportAs): void {
    if (request.dataset === undefined) return;
    if (kind === 'prompts') {
      throw new ApiError(
        'invalid_input',
        `${request.fileName}: a dataset needs pairs, and this file holds prompts`,
      );
    }
    if (datasets.nameTaken(request.dataset)) {
      throw new ApiError('conflict', `a dataset named "${request.dataset}" already exists`);
    }
  }

  async function importFile(given: ImportRequest): Promise<FileImportResult> {
    const request = { ...given, dataset: validDatasetName(given.dataset) };
    const result =
      offload && request.bytes.length >= offload.fromBytes
        ? await offload.offload(request)
        : await importHere(request);
    announce(result);
    return result;
  }

  function announce(result: FileImportResult): void {
    if (result.dataset) events.emit('datasetsChanged', { datasetId: result.dataset.id, kind: 'created' });
    events.emit('pairsImported', {
      fileName: result.fileName,
      rows: result.rows,
      pairsAdded: result.pairsAdded,
      duplicatesSkipped: result.duplicatesSkipped,
      identicalSkipped: result.identicalSkipped,
    });
  }

  async function importHere(request: ImportRequest): Promise<FileImportResult> {
    const parsed = await parseImportFile(request.fileName, request.bytes, request.as);
    checkDatasetName(request, parsed.kind);
    const base = { fileName: request.fileName, format: parsed.format, kind: parsed.kind };
    const result: FileImportResult = db.transaction(() => {
      if (parsed.kind === 'prompts') {
        const { promptsAdded, duplicatesSkipped } = pairs.importPrompts(parsed.prompts);
        const counts = { promptsAdded, duplicatesSkipped };
        const rows = parsed.prompts.length;
        return { ...base, rows, pairsAdded: 0, ...counts, identicalSkipped: 0, dataset: null };
      }
      // A pair whose two answers are the same text teaches nothing (its DPO loss is ln 2 whatever the model).
      const distinct = parsed.pairs.filter((pair) => pair.chosen !== pair.rejected);
      const counts = pairs.importPreferencePairs(distinct);
      const dataset =
        request.dataset === undefined
          ? null
          : datasets.createFromImport(request.dataset, request.fileName, counts.pairs, request.evalFraction);
      return {
        ...base,
        rows: parsed.pairs.length,
        pairsAdded: counts.pairsAdded,
        promptsAdded: 0,
        duplicatesSkipped: counts.duplicatesSkipped,
        identicalSkipped: parsed.pairs.length - distinct.length,
        dataset: dataset && {
          id: dataset.id,
          name: dataset.name,
          pairs: dataset.stats.pairs,
          train: dataset.stats.train,
          eval: dataset.stats.eval,
        },
      };
    })();
    return result;
  }

  return { importFile };
}

export type ImportService = ReturnType<typeof createImportService>;
