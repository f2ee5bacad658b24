// The use cases behind the API contract: each method validated by the transport, implemented here over
// the store, with events emitted for other windows and tabs.
import { randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ApiHandlers, ApiParsedInput } from '../../src-shared/api';
import { ApiError } from '../../src-shared/errors';
import type { Choice, FileImportResult, PairToRate, ScreenChoice } from '../../src-shared/schemas';
import { AnnotatorsRepo } from '../store/annotators-repo';
import { ComparisonsRepo } from '../store/comparisons-repo';
import { ModelsRepo } from '../store/models-repo';
import { PairsRepo, type StoredPair } from '../store/pairs-repo';
import { createCompareHandlers } from './compare/compare-handlers';
import { createCompareService, type CompareGenerate } from './compare/compare-service';
import { createBundleHandlers } from './train/cluster-bundle';
import { createDatasetsService, type DatasetsService } from './labeling/datasets-service';
import { probeDevice } from './models/device-probe';
import type { EventBus } from './jobs/event-bus';
import { createJobsHandlers, JobRunner } from './jobs/job-runner';
import { createImportService, type ImportRequest, type ImportService } from './labeling/import-service';
import type { DataOffloadOptions } from './import/data-in-worker';
import { createLabelingHandlers } from './labeling/labeling-handlers';
import { createModelsHandlers, createModelsService, type ModelsService } from './models/models-service';
import { createGenerationHandlers, createGenerationService } from './generate/generation-service';
import { createTrainHandlers, createTrainService } from './train/train-service';
import { runGeneration } from './generate/generate-job';
import { createRatingExtras, type RatingExtras } from './labeling/rating-extras-service';
import { createFrontier } from './compare/frontier';
import { createRewardMargins } from './compare/reward-margins';
import { createRoundPlans } from './train/round-plan';

export interface ServicesContext {
  db: Database.Database;
  dataDir: string;
  schemaVersion: number;
  appVersion: string;
  transport: 'ipc' | 'http';
  events: EventBus;
  /** Which side goes left; injectable so tests can pin it. Returns true to show candidate a on the left. */
  aOnLeft?: () => boolean;
  /** Long work (generation, training); one runner per workbench, made here when not given. */
  jobs?: JobRunner;
  /** Generation for comparisons; the real runGeneration unless a test passes another. */
  generate?: CompareGenerate;
  /** Model versions; made here when not given. */
  models?: ModelsService;
  /** When set, importModel reads only folders under these (a server reachable beyond loopback). */
  modelRoots?: readonly string[];
}

/** Maps what the person pressed on screen onto the pair's sides, given which candidate was on the left. */
export function toPairChoice(pair: StoredPair, leftCandidateId: number, choice: ScreenChoice): Choice {
  const leftIsA = leftCandidateId === pair.candidateA.id;
  if (!leftIsA && leftCandidateId !== pair.candidateB.id) {
    throw new ApiError(
      'invalid_input',
      `leftCandidateId: ${leftCandidateId} is not a candidate of pair ${pair.id}`,
    );
  }
  if (choice === 'left') return leftIsA ? 'a' : 'b';
  if (choice === 'right') return leftIsA ? 'b' : 'a';
  return choice;
}

/** The labeling and data use cases, shared by the API handlers and the CLI's import and export. */
export interface DataServices {
  imports: ImportService;
  datasets: DatasetsService;
  extras: RatingExtras;
  /** Heavy data work (large imports, dataset builds and exports) in a worker thread, when set. */
  offload?: DataOffloadOptions;
}

export function createDataServices(
  db: Database.Database,
  events: EventBus,
  offload?: DataOffloadOptions,
): DataServices {
  const datasets = createDatasetsService(db, events);
  const importOffload = offload && {
    offload: (request: ImportRequest) => offload.run<FileImportResult>({ kind: 'import', request }),
    fromBytes: offload.importBytes,
  };
  return {
    datasets,
    imports: createImportService(db, events, datasets, importOffload),
    extras: createRatingExtras(db, events),
    ...(offload ? { offload } : {}),
  };
}

export function createServices(
  ctx: ServicesContext,
  data: DataServices = createDataServices(ctx.db, ctx.events),
): ApiHandlers {
  const annotators = new AnnotatorsRepo(ctx.db);
  const pairs = new PairsRepo(ctx.db);
  const comparisons = new ComparisonsRepo(ctx.db);
  const aOnLeft = ctx.aOnLeft ?? (() => randomInt(2) === 0);
  const { imports, datasets, extras } = data;
  const jobs = ctx.jobs ?? new JobRunner(ctx.db, ctx.events);
  const models =
    ctx.models ?? createModelsService({ db: ctx.db, events: ctx.events, device: () => probeDevice('auto') });
  annotators.getOrCreateDefault();
  const modelsRepo = new ModelsRepo(ctx.db);
  const compare = createCompareService({
    db: ctx.db,
    events: ctx.events,
    models: modelsRepo,
    jobs,
    generate: ctx.generate ?? runGeneration,
  });
  compare.markInterruptedAtStartup();
  const roundPlans = createRoundPlans(ctx.db, modelsRepo);

  function requireAnnotator(annotatorId: number): void {
    if (!annotators.exists(annotatorId)) {
      throw new ApiError('not_found', `annotatorId: no annotator with id ${annotatorId}`);
    }
  }

  function requirePair(pairId: number): StoredPair {
    const pair = pairs.getPair(pairId);
    if (!pair) throw new ApiError('not_found', `pairId: no pair with id ${pairId}`);
    return pair;
  }

  function shown(pair: StoredPair, leftIsA = aOnLeft(), qualityCheck = false): PairToRate {
    const [left, right] = leftIsA ? [pair.candidateA, pair.candidateB] : [pair.candidateB, pair.candidateA];
    return {
      pairId: pair.id,
      prompt: pair.prompt,
      left: { candidateId: left.id, text: left.text },
      right: { candidateId: right.id, text: right.text },
      qualityCheck,
    };
  }

  function submitRating(input: ApiParsedInput<'submitRating'>) {
    requireAnnotator(input.annotatorId);
    const pair = requirePair(input.pairId);
    const choice = toPairChoice(pair, input.leftCandidateId, input.choice);
    if (input.qualityCheck) extras.requireLiveRating(input.annotatorId, pair.id);
    const comparisonId = comparisons.insert({
      pairId: pair.id,
      annotatorId: input.annotatorId,
      choice,
      strength: choice === 'a' || choice === 'b' ? input.strength : null,
      note: input.note?.trim() ? input.note.trim() : null,
      timeSpentMs: input.timeSpentMs,
      leftCandidateId: input.leftCandidateId,
      tagsJson: extras.tagsJson(input.tags),
      isQualityCheck: input.qualityCheck,
    });
    ctx.events.emit('ratingsChanged', { annotatorId: input.annotatorId, pairId: pair.id, kind: 'rated' });
    return { comparisonId, progress: comparisons.progress(input.annotatorId) };
  }

  return {
    getAppInfo: () => ({
      version: ctx.appVersion,
      dataDir: ctx.dataDir,
      schemaVersion: ctx.schemaVersion,
      transport: ctx.transport,
    }),
    getDevice: ({ request }) => probeDevice(request),
    listAnnotators: () => annotators.list(),
    createAnnotator: ({ name }) => annotators.create(name),
    // The Rate view's import: any text format of pairs (TRL JSONL, CSV, ...), as importFile.
    importPairs: async ({ fileName, content }) => {
      const bytes = new TextEncoder().encode(content);
      const result = await imports.importFile({ fileName, bytes, as: 'pairs' });
      return {
        fileName,
        rows: result.rows,
        pairsAdded: result.pairsAdded,
        duplicatesSkipped: result.duplicatesSkipped,
        identicalSkipped: result.identicalSkipped,
      };
    },
    nextPair: ({ annotatorId, qualityChecks }) => {
      requireAnnotator(annotatorId);
      const check = qualityChecks ? extras.dueQualityCheck(annotatorId) : undefined;
      if (check) {
        const pair = requirePair(check.pairId);
        return shown(pair, check.leftCandidateId === pair.candidateA.id, true);
      }
      const next = comparisons.nextUnrated(annotatorId);
      return next ? shown(requirePair(next.pairId)) : null;
    },
    submitRating,
    undoRating: ({ annotatorId }) => {
      requireAnnotator(annotatorId);
      const undone = comparisons.undoLast(annotatorId);
      if (!undone) return { undonePairId: null, pair: null, progress: comparisons.progress(annotatorId) };
      ctx.events.emit('ratingsChanged', { annotatorId, pairId: undone.pairId, kind: 'undone' });
      const pair = requirePair(undone.pairId);
      return {
        undonePairId: pair.id,
        pair: shown(pair, undone.leftCandidateId === pair.candidateA.id, undone.isQualityCheck),
        progress: comparisons.progress(annotatorId),
      };
    },
    getRatingProgress: ({ annotatorId }) => {
      requireAnnotator(annotatorId);
      return comparisons.progress(annotatorId);
    },
    listRatings: ({ annotatorId, limit }) => {
      requireAnnotator(annotatorId);
      return comparisons.listRecent(annotatorId, limit);
    },
    ...createLabelingHandlers({
      db: ctx.db,
      events: ctx.events,
      imports,
      datasets,
      extras,
      ...(data.offload ? { offload: data.offload } : {}),
    }),
    ...createJobsHandlers(jobs),
    ...createCompareHandlers(
      compare,
      createRewardMargins(ctx.db, modelsRepo),
      createFrontier(ctx.db, modelsRepo, jobs),
    ),
    ...createModelsHandlers(models, ctx.modelRoots),
    ...createGenerationHandlers(createGenerationService({ db: ctx.db, jobs, models })),
    ...createTrainHandlers(
      createTrainService({
        db: ctx.db,
        events: ctx.events,
        jobs,
        dataDir: ctx.dataDir,
        device: () => probeDevice('auto'),
      }),
    ),
    ...createBundleHandlers(ctx.db),
    getRoundPlan: ({ modelId }) => roundPlans.plan(modelId),
  };
}
