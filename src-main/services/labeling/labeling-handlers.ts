// The labeling and data methods of the contract, over the import, datasets, pairing (with the uncertainty
// strategy's model scoring) and rating-extras services (the same code the CLI's import and export call).
import type Database from 'better-sqlite3';
import type { ApiHandlers } from '../../../src-shared/api';
import type { labelingContract } from '../../../src-shared/api-labeling';
import { ApiError } from '../../../src-shared/errors';
import { ChatMessage } from '../../../src-shared/schemas';
import { ModelsRepo } from '../../store/models-repo';
import { PairsRepo } from '../../store/pairs-repo';
import type { Dataset, DatasetSplitPlan, ExportFormat, Split } from '../../../src-shared/labeling-schemas';
import type { DataOffloadOptions } from '../import/data-in-worker';
import type { DatasetExport, DatasetSettings, DatasetsService } from './datasets-service';
import type { EventBus } from '../jobs/event-bus';
import type { ImportService } from './import-service';
import { dropNearDuplicates, pairCandidates, type PairingCandidate } from './pairing';
import type { RatingExtras } from './rating-extras-service';
import { scoreCandidateRewards } from './uncertainty-scoring';

type LabelingHandlers = Pick<ApiHandlers, keyof typeof labelingContract>;

export interface LabelingDeps {
  db: Database.Database;
  events: EventBus;
  imports: ImportService;
  datasets: DatasetsService;
  extras: RatingExtras;
  /** Large dataset builds and exports in a worker thread (the server's event loop stays free). */
  offload?: DataOffloadOptions;
}

/** A file sent through the API: text as is, binary (Parquet) as base64. */
export function decode(content: string, encoding: 'utf8' | 'base64'): Uint8Array {
  return encoding === 'base64'
    ? new Uint8Array(Buffer.from(content, 'base64'))
    : new TextEncoder().encode(content);
}

export function createLabelingHandlers({
  db,
  events,
  imports,
  datasets,
  extras,
  offload,
}: LabelingDeps): LabelingHandlers {
  const pairs = new PairsRepo(db);
  const models = new ModelsRepo(db);
  const storedPairs = db.prepare<[], number>('SELECT COUNT(*) FROM pairs').pluck();
  /** Builds over this many stored pairs, and exports of datasets this large, run in the worker. */
  const heavy = (pairCount: number) => offload !== undefined && pairCount >= offload.pairs;

  async function createDataset(name: string, settings: DatasetSettings): Promise<Dataset> {
    if (!offload || !heavy(storedPairs.get() ?? 0)) return datasets.create(name, settings);
    const dataset = await offload.run<Dataset>({ kind: 'createDataset', name, settings });
    events.emit('datasetsChanged', { datasetId: dataset.id, kind: 'created' });
    return dataset;
  }

  async function rebuildDataset(datasetId: number, changes: Partial<DatasetSettings>): Promise<Dataset> {
    if (!offload || !heavy(storedPairs.get() ?? 0)) return datasets.rebuild(datasetId, changes);
    const dataset = await offload.run<Dataset>({ kind: 'rebuildDataset', datasetId, changes });
    events.emit('datasetsChanged', { datasetId, kind: 'rebuilt' });
    return dataset;
  }

  /** The split a dataset would get; worked out in the data worker when the pairs are many, as a build. */
  async function planDatasetSplit(settings: Omit<DatasetSettings, 'description'>): Promise<DatasetSplitPlan> {
    if (!offload || !heavy(storedPairs.get() ?? 0)) return datasets.planSplit(settings);
    return offload.run<DatasetSplitPlan>({ kind: 'planDatasetSplit', settings });
  }

  async function exportDataset(datasetId: number, format: ExportFormat, split: Split | null) {
    if (!offload || !heavy(datasets.get(datasetId).stats.pairs))
      return datasets.exportDataset(datasetId, format, split);
    return offload.run<DatasetExport>({ kind: 'exportDataset', datasetId, format, split });
  }

  /** The uncertainty strategy's rewards: the kept (not near-duplicate) candidates scored under the version. */
  async function uncertaintyRewards(
    promptId: number,
    { prompt, candidates }: { prompt: string; candidates: readonly PairingCandidate[] },
    options: { modelId: number | undefined; beta: number; similarityThreshold: number },
  ) {
    const { modelId } = options;
    if (modelId === undefined)
      throw new ApiError('invalid_input', 'modelId: the uncertainty strategy needs a model version');
    if (!models.get(modelId)) throw new ApiError('not_found', `modelId: no model with id ${modelId}`);
    const messagesJson = db
      .prepare<[number], string | null>('SELECT messages_json FROM prompts WHERE id = ?')
      .pluck()
      .get(promptId);
    const scored = await scoreCandidateRewards({
      model: models.resolve(modelId),
      prompt,
      promptMessages: messagesJson ? ChatMessage.array().parse(JSON.parse(messagesJson)) : null,
      candidates: dropNearDuplicates(candidates, options.similarityThreshold).kept,
      beta: options.beta,
    });
    return { ...scored, modelId };
  }

  function promptWithCandidates(promptId: number) {
    const found = pairs.promptWithCandidates(promptId);
    if (!found) throw new ApiError('not_found', `promptId: no prompt with id ${promptId}`);
    return found;
  }

  /** The prompt's candidates restricted to `ids` (one run's), each of which must be the prompt's. */
  function onlyThese<T extends { candidates: readonly { id: number }[] }>(
    found: T,
    promptId: number,
    ids: readonly number[] | undefined,
  ): T {
    if (ids === undefined) return found;
    const own = new Set(found.candidates.map((candidate) => candidate.id));
    const stranger = ids.find((id) => !own.has(id));
    if (stranger !== undefined) {
      throw new ApiError(
        'invalid_input',
        `candidateIds: ${stranger} is not a candidate of prompt ${promptId}`,
      );
    }
    const wanted = new Set(ids);
    return { ...found, candidates: found.candidates.filter((candidate) => wanted.has(candidate.id)) };
  }

  return {
    importFile: ({ fileName, content, encoding, as, dataset, evalFraction }) =>
      imports.importFile({
        fileName,
        bytes: decode(content, encoding),
        as,
        dataset,
        ...(evalFraction === undefined ? {} : { evalFraction }),
      }),
    listDatasets: () => datasets.list(),
    getDataset: ({ datasetId }) => datasets.get(datasetId),
    createDataset: ({ name, ...settings }) => createDataset(name, settings),
    planDatasetSplit: (settings) => planDatasetSplit(settings),
    rebuildDataset: ({ datasetId, ...changes }) => rebuildDataset(datasetId, changes),
    deleteDataset: ({ datasetId }) => {
      datasets.remove(datasetId);
      return { deleted: datasetId };
    },
    previewDataset: ({ datasetId, split, offset, limit }) =>
      datasets.preview(datasetId, split, offset, limit),
    exportDataset: async ({ datasetId, format, split }) => {
      const exported = await exportDataset(datasetId, format, split);
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
    createPairs: async (input) => {
      const { promptId, strategy, count, seed, similarityThreshold, modelId, beta } = input;
      const found = onlyThese(promptWithCandidates(promptId), promptId, input.candidateIds);
      const { candidates } = found;
      const scored =
        strategy === 'uncertainty'
          ? await uncertaintyRewards(promptId, found, { modelId, beta, similarityThreshold })
          : undefined;
      const planned = pairCandidates(strategy, candidates, {
        count,
        seed,
        similarityThreshold,
        ...(scored ? { rewards: scored.rewards } : {}),
      });
      const stored = db.transaction(() => {
        let pairsAdded = 0;
        for (const [first, second] of planned.pairs) {
          if (pairs.addPair(promptId, first, second, strategy).added) pairsAdded += 1;
        }
        const duplicatesSkipped = planned.pairs.length - pairsAdded;
        return { pairsAdded, duplicatesSkipped, candidatesDropped: planned.dropped };
      })();
      if (!scored) return stored;
      const reward = (id: number) => scored.rewards.get(id) as number;
      return {
        ...stored,
        uncertainty: {
          modelId: scored.modelId,
          basis: scored.basis,
          note: scored.note,
          rewards: [...scored.rewards].map(([candidateId, value]) => ({ candidateId, reward: value })),
          margins: planned.pairs.map(([candidateA, candidateB]) => ({
            candidateA,
            candidateB,
            margin: Math.abs(reward(candidateA) - reward(candidateB)),
          })),
        },
      };
    },
    submitRanking: (input) => extras.submitRanking(input),
  };
}
