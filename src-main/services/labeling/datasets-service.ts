// Datasets as use cases: build a snapshot from ratings (or from one imported file), rebuild it, delete it,
// preview and export its rows, and report its stats and agreement. A frozen dataset is never changed.
import type Database from 'better-sqlite3';
import { ApiError } from '../../../src-shared/errors';
import {
  DatasetFilters,
  DatasetStats,
  type Dataset,
  type DatasetRow,
  type DatasetSplitPlan,
  type ExportFormat,
  type Split,
} from '../../../src-shared/labeling-schemas';
import { ChatMessage } from '../../../src-shared/schemas';
import {
  DatasetsRepo,
  isFrozenError,
  type DatasetRecord,
  type DatasetPairRow,
} from '../../store/datasets-repo';
import type { ImportedPair } from '../../store/pairs-repo';
import { buildDataset, emptyCounts, type BuildCounts } from '../datasets/build-dataset';
import { datasetAgreement } from '../datasets/dataset-agreement';
import { importSnapshot } from '../datasets/import-snapshot';
import { splitRows } from '../datasets/split';
import { textLengths } from '../datasets/text-lengths';
import type { EventBus } from '../jobs/event-bus';
import { EXTENSIONS, exportRows } from '../export/export-rows';

export interface DatasetSettings {
  description: string | null;
  filters: DatasetFilters;
  evalFraction: number;
  splitSeed: number;
}

export interface DatasetExport {
  fileName: string;
  bytes: Uint8Array;
  rows: number;
}

/** Stats of a dataset whose rows were written without them (not by this service): from its rows alone. */
function statsFromRows(rows: ReturnType<DatasetsRepo['rows']>): DatasetStats {
  const evalCount = rows.filter((row) => row.split === 'eval').length;
  const fromImport = rows.filter((row) => row.comparisonId === null).length;
  return {
    ...emptyCounts(),
    pairs: rows.length,
    train: rows.length - evalCount,
    eval: evalCount,
    fromImport,
    fromRatings: rows.length - fromImport,
    lengths: textLengths(rows),
  };
}

function toDataset(record: DatasetRecord, repo: DatasetsRepo): Dataset {
  const stats =
    record.statsJson === null
      ? statsFromRows(repo.rows(record.id, null))
      : DatasetStats.parse(JSON.parse(record.statsJson));
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    filters: DatasetFilters.parse(JSON.parse(record.filtersJson)),
    evalFraction: record.evalFraction,
    splitSeed: record.splitSeed,
    frozenAt: record.frozenAt,
    createdAt: record.createdAt,
    stats,
  };
}

export function createDatasetsService(db: Database.Database, events: EventBus) {
  const repo = new DatasetsRepo(db);

  function requireDataset(datasetId: number): DatasetRecord {
    const record = repo.get(datasetId);
    if (!record) throw new ApiError('not_found', `datasetId: no dataset with id ${datasetId}`);
    return record;
  }

  function requireByName(name: string): DatasetRecord {
    const record = repo.getByName(name);
    if (!record) throw new ApiError('not_found', `no dataset named "${name}"`);
    return record;
  }

  function requireUnfrozen(record: DatasetRecord, action: string): void {
    if (record.frozenAt !== null) {
      throw new ApiError(
        'conflict',
        `dataset "${record.name}" is frozen (used by a training run since ${record.frozenAt}) and cannot be ` +
          `${action}; build a new dataset instead`,
      );
    }
  }

  /** Stores the rows, then the stats with the lengths measured on the stored texts, in one transaction. */
  function store(datasetId: number, settings: DatasetSettings, rows: DatasetPairRow[], counts: BuildCounts) {
    const { description, filters, evalFraction, splitSeed } = settings;
    const columns = { description, filtersJson: JSON.stringify(filters), evalFraction, splitSeed };
    db.transaction(() => {
      repo.replace(datasetId, columns, rows, '{}');
      const stats: DatasetStats = { ...counts, lengths: textLengths(repo.rows(datasetId, null)) };
      repo.setStats(datasetId, JSON.stringify(stats));
    })();
  }

  function build(settings: DatasetSettings) {
    return buildDataset(repo.ratingSources(), repo.importedSources(), settings);
  }

  function create(name: string, settings: DatasetSettings): Dataset {
    const dataset = db.transaction(() => {
      const id = repo.create({ name, ...settings, filtersJson: JSON.stringify(settings.filters) });
      const { rows, counts } = build(settings);
      store(id, settings, rows, counts);
      return toDataset(requireDataset(id), repo);
    })();
    events.emit('datasetsChanged', { datasetId: dataset.id, kind: 'created' });
    return dataset;
  }

  const promptOfPair = db
    .prepare<[number], string>(
      'SELECT pr.text FROM pairs p JOIN prompts pr ON pr.id = p.prompt_id WHERE p.id = ?',
    )
    .pluck();

  /** An import snapshot's rows split by prompt with the settings' eval fraction. */
  function resplit(
    snapshot: { rows: DatasetPairRow[]; counts: BuildCounts },
    settings: { evalFraction: number; splitSeed: number },
  ) {
    const sides = splitRows(
      snapshot.rows,
      (row) => promptOfPair.get(row.pairId) ?? '',
      () => false,
      settings.splitSeed,
      settings.evalFraction,
    );
    const rows = snapshot.rows.map((row, i) => ({ ...row, split: sides[i] ?? ('train' as const) }));
    const evalCount = rows.filter((row) => row.split === 'eval').length;
    return { rows, counts: { ...snapshot.counts, train: rows.length - evalCount, eval: evalCount } };
  }

  /** Call inside the import's transaction, so the pairs and their snapshot are stored together. */
  function createFromImport(
    name: string,
    fileName: string,
    pairs: readonly ImportedPair[],
    evalFraction = 0,
  ): Dataset {
    const settings = {
      description: `imported from ${fileName}`,
      filters: { importedFile: fileName },
      evalFraction,
      splitSeed: 0,
    };
    const id = repo.create({ name, ...settings, filtersJson: JSON.stringify(settings.filters) });
    const snapshot = importSnapshot(pairs);
    const { rows, counts } = evalFraction > 0 ? resplit(snapshot, settings) : snapshot;
    store(id, settings, rows, counts);
    return toDataset(requireDataset(id), repo);
  }

  /** A rebuild applies new settings; a snapshot of an imported file keeps its pairs and is split anew. */
  function rebuildRows(record: DatasetRecord, settings: DatasetSettings) {
    if (settings.filters.importedFile === undefined) return build(settings);
    const current = toDataset(record, repo).stats;
    const stored = repo.rows(record.id, null);
    const promptOf = new Map(stored.map((row) => [row.pairId, row.prompt]));
    const pairRows = repo.pairRows(record.id);
    const sides = splitRows(
      pairRows,
      (row) => promptOf.get(row.pairId) ?? '',
      (row) => row.comparisonId !== null,
      settings.splitSeed,
      settings.evalFraction,
    );
    const rows = pairRows.map((row, i) => ({ ...row, split: sides[i] ?? 'train' }));
    const evalCount = rows.filter((row) => row.split === 'eval').length;
    return { rows, counts: { ...current, train: rows.length - evalCount, eval: evalCount } };
  }

  function rebuild(datasetId: number, changes: Partial<DatasetSettings>): Dataset {
    const record = requireDataset(datasetId);
    requireUnfrozen(record, 'rebuilt');
    const current = toDataset(record, repo);
    const settings: DatasetSettings = {
      description: changes.description !== undefined ? changes.description : current.description,
      filters: changes.filters ?? current.filters,
      evalFraction: changes.evalFraction ?? current.evalFraction,
      splitSeed: changes.splitSeed ?? current.splitSeed,
    };
    try {
      db.transaction(() => {
        const { rows, counts } = rebuildRows(record, settings);
        store(datasetId, settings, rows, counts);
      })();
    } catch (error) {
      if (isFrozenError(error)) requireUnfrozen(requireDataset(datasetId), 'rebuilt');
      throw error;
    }
    events.emit('datasetsChanged', { datasetId, kind: 'rebuilt' });
    return toDataset(requireDataset(datasetId), repo);
  }

  function remove(datasetId: number): void {
    const record = requireDataset(datasetId);
    requireUnfrozen(record, 'deleted');
    repo.delete(datasetId);
    events.emit('datasetsChanged', { datasetId, kind: 'deleted' });
  }

  function toRow(row: ReturnType<DatasetsRepo['rows']>[number]): DatasetRow {
    const messages =
      row.messagesJson === null ? null : ChatMessage.array().parse(JSON.parse(row.messagesJson));
    const { pairId, prompt, chosen, rejected, weight, split } = row;
    return { pairId, prompt, promptMessages: messages, chosen, rejected, weight, split };
  }

  function preview(datasetId: number, split: Split | null, offset: number, limit: number) {
    requireDataset(datasetId);
    return {
      total: repo.countRows(datasetId, split),
      rows: repo.rows(datasetId, split, limit, offset).map(toRow),
    };
  }

  function exportDataset(datasetId: number, format: ExportFormat, split: Split | null): DatasetExport {
    const record = requireDataset(datasetId);
    const rows = repo.rows(datasetId, split);
    const suffix = split === null ? '' : `-${split}`;
    const safeName = record.name.replace(/[^A-Za-z0-9._-]+/g, '_');
    return {
      fileName: `${safeName}${suffix}${EXTENSIONS[format]}`,
      bytes: exportRows(rows, format),
      rows: rows.length,
    };
  }

  /** The split create() would make with these settings; nothing is stored. */
  function planSplit(settings: Omit<DatasetSettings, 'description'>): DatasetSplitPlan {
    const { counts } = build({ ...settings, description: null });
    return {
      pairs: counts.pairs,
      train: counts.train,
      eval: counts.eval,
      fromRatings: counts.fromRatings,
      perAnnotator: counts.perAnnotator.map(({ annotatorId, name, train, eval: held }) => ({
        annotatorId,
        name,
        train: train ?? 0,
        eval: held ?? 0,
      })),
    };
  }

  return {
    create,
    planSplit,
    createFromImport,
    rebuild,
    remove,
    preview,
    exportDataset,
    list: () => repo.list().map((record) => toDataset(record, repo)),
    get: (datasetId: number) => toDataset(requireDataset(datasetId), repo),
    idByName: (name: string) => requireByName(name).id,
    nameTaken: (name: string) => repo.getByName(name) !== undefined,
    agreement: (datasetId: number) => {
      requireDataset(datasetId);
      return datasetAgreement(repo.ratingsOfPairs(datasetId));
    },
  };
}

export type DatasetsService = ReturnType<typeof createDatasetsService>;
