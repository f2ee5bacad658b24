// The labeling and data methods of the contract, over the import, datasets, pairing and rating-extras
// services (the same code the CLI's import and export commands call).
import type Database from 'better-sqlite3';
import type { ApiHandlers } from '../../src-shared/api';
import type { labelingContract } from '../../src-shared/api-labeling';
import { ApiError } from '../../src-shared/errors';
import { PairsRepo } from '../store/pairs-repo';
import type { DatasetsService } from './datasets-service';
import type { EventBus } from './event-bus';
import type { ImportService } from './import-service';
import { pairCandidates } from './pairing';
import type { RatingExtras } from './rating-extras-service';

type LabelingHandlers = Pick<ApiHandlers, keyof typeof labelingContract>;

export interface LabelingDeps {
  db: Database.Database;
  events: EventBus;
  imports: ImportService;
  datasets: DatasetsService;
  extras: RatingExtras;
}

/** A file sent through the API: text as is, binary (Parquet) as base64. */
export function decode(content: string, encoding: 'utf8' | 'base64'): Uint8Array {
  return encoding === 'base64'
    ? new Uint8Array(Buffer.from(content, 'base64'))
    : new TextEncoder().encode(content);
}

export function createLabelingHandlers({ db, imports, datasets, extras }: LabelingDeps): LabelingHandlers {
  const pairs = new PairsRepo(db);

  function promptWithCandidates(promptId: number) {
    const found = pairs.promptWithCandidates(promptId);
    if (!found) throw new ApiError('not_found', `promptId: no prompt with id ${promptId}`);
    return found;
  }

  return {
    importFile: ({ fileName, content, encoding, as, dataset }) =>
      imports.importFile({ fileName, bytes: decode(content, encoding), as, dataset }),
    listDatasets: () => datasets.list(),
    getDataset: ({ datasetId }) => datasets.get(datasetId),
    createDataset: ({ name, ...settings }) => datasets.create(name, settings),
    rebuildDataset: ({ datasetId, ...changes }) => datasets.rebuild(datasetId, changes),
    deleteDataset: ({ datasetId }) => {
      datasets.remove(datasetId);
      return { deleted: datasetId };
    },
    previewDataset: ({ datasetId, split, offset, limit }) =>
      datasets.preview(datasetId, split, offset, limit),
    exportDataset: ({ datasetId, format, split }) => {
      const exported = datasets.exportDataset(datasetId, format, split);
      const binary = format === 'parquet';
      return {
        fileName: exported.fileName,
        encoding: binary ? 'base64' : 'utf8',
        content: binary
          ? Buffer.from(exported.bytes).toString('base64')
          : new TextDecoder().decode(exported.bytes),
        rows: exported.rows,
      };
    },
    getDatasetAgreement: ({ datasetId }) => datasets.agreement(datasetId),
    getRatingTags: () => extras.ratingTags(),
    setRatingTags: ({ tags }) => extras.setRatingTags(tags),
    getAnnotatorStats: () => extras.annotatorStats(),
    listCandidates: ({ promptId }) => {
      const { prompt, candidates } = promptWithCandidates(promptId);
      return { promptId, prompt, candidates };
    },
    listRankablePrompts: ({ minCandidates, limit }) =>
      db
        .prepare<[number, number], { promptId: number; prompt: string; candidates: number }>(
          `SELECT p.id AS promptId, p.text AS prompt, COUNT(c.id) AS candidates
             FROM prompts p JOIN candidates c ON c.prompt_id = p.id
            GROUP BY p.id HAVING COUNT(c.id) >= ? ORDER BY p.id DESC LIMIT ?`,
        )
        .all(minCandidates, limit),
    createPairs: ({ promptId, strategy, count, seed, similarityThreshold }) => {
      const { candidates } = promptWithCandidates(promptId);
      const planned = pairCandidates(strategy, candidates, { count, seed, similarityThreshold });
      return db.transaction(() => {
        let pairsAdded = 0;
        for (const [first, second] of planned.pairs) {
          if (pairs.addPair(promptId, first, second, strategy).added) pairsAdded += 1;
        }
        const duplicatesSkipped = planned.pairs.length - pairsAdded;
        return { pairsAdded, duplicatesSkipped, candidatesDropped: planned.dropped };
      })();
    },
    submitRanking: (input) => extras.submitRanking(input),
  };
}
