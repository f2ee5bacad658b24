// DPO runs in the app: a dataset and a base model version in, a run row and a job out; the trainer in a worker
// thread, metrics stored and streamed per step, reference log-probs from the SQLite cache, cancel/crash/resume
// through checkpoints, NaN and out-of-memory handled, the adapter registered as a model version.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { ApiHandlers } from '../../../src-shared/api';
import type { trainContract } from '../../../src-shared/api-train';
import { ApiError } from '../../../src-shared/errors';
import type { Run, RunDetail, TrainDefaults, TrainSettings } from '../../../src-shared/train-schemas';
import type { DeviceInfo } from '../../../src-shared/schemas';
import { readModelConfig } from '../../models/index';
import { DatasetsRepo } from '../../store/datasets-repo';
import { ModelsRepo, type ModelRow } from '../../store/models-repo';
import { ReferenceLogpsRepo } from '../../store/reference-logps-repo';
import { RunsRepo, type RunRecord } from '../../store/runs-repo';
import {
  CHECKPOINT_DIR,
  resolveTrainArgs,
  tokenizeRow,
  type ReferenceLogpCache,
  type TrainArgs,
} from '../../train/index';
import type { EventBus } from '../jobs/event-bus';
import type { JobContext, JobRunner } from '../jobs/job-runner';
import { ktoExtraRows } from './kto-thumbs';
import { defaultTrainSettings } from './train-defaults';
import { deviceLine, halveMicroBatch, seriesOf, toTrainArgs } from './run-settings';
import { loadTokenizer, runDirOf, trainerRows, writeRunPairs } from './run-files';
import { runTrainingInWorker, TrainFailure, type RunTraining, type TrainHooks } from './train-worker-client';

export interface TrainServiceDeps {
  db: Database.Database;
  events: EventBus;
  jobs: JobRunner;
  dataDir: string;
  /** Where 'auto' would train (CUDA when it loads). */
  device: () => Promise<DeviceInfo>;
  /** One training attempt; the worker thread by default (tests wrap it to inject faults). */
  runTraining?: RunTraining;
}

/** Pairs tokenized to size the defaults; a bigger dataset is sampled evenly. */
const LENGTH_SAMPLE = 2000;

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function createTrainService(deps: TrainServiceDeps) {
  const { db, events, jobs } = deps;
  const runs = new RunsRepo(db);
  const models = new ModelsRepo(db);
  const datasets = new DatasetsRepo(db);
  const refs = new ReferenceLogpsRepo(db);
  const runTraining = deps.runTraining ?? runTrainingInWorker;
  /** Runs training in this process: run id -> job id. */
  const active = new Map<number, number>();

  const cache: ReferenceLogpCache = {
    get: (modelHash, keys) => Promise.resolve(refs.get(modelHash, keys)),
    put: (modelHash, entries) => Promise.resolve(refs.put(modelHash, entries)),
  };

  function requireModel(modelId: number): ModelRow {
    const model = models.get(modelId);
    if (!model || model.removedAt !== null)
      throw new ApiError('not_found', `baseModelId: no model with id ${modelId}`);
    return model;
  }

  function requireDatasetRows(datasetId: number) {
    const record = datasets.get(datasetId);
    if (!record) throw new ApiError('not_found', `datasetId: no dataset with id ${datasetId}`);
    const rows = datasets.rows(datasetId, null);
    if (!rows.some((row) => row.split === 'train'))
      throw new ApiError('invalid_input', `datasetId: dataset "${record.name}" has no training pairs`);
    return { record, rows };
  }

  function requireRun(runId: number): RunRecord {
    const run = runs.get(runId);
    if (!run) throw new ApiError('not_found', `runId: no run with id ${runId}`);
    return run;
  }

  function hasCheckpoint(run: RunRecord): boolean {
    const dir = run.checkpointDir;
    return (
      dir !== null && (existsSync(join(dir, 'state.json')) || existsSync(join(`${dir}.prev`, 'state.json')))
    );
  }

  function toRun(run: RunRecord): Run {
    const config = JSON.parse(run.configJson) as Record<string, unknown>;
    const warnings = Array.isArray(config.warnings) ? config.warnings.map(String) : [];
    return {
      id: run.id,
      datasetId: run.datasetId,
      datasetName: run.datasetId === null ? null : (datasets.get(run.datasetId)?.name ?? null),
      baseModelId: run.baseModelId,
      baseModelName: models.get(run.baseModelId)?.name ?? null,
      outputModelId: run.outputModelId,
      status: run.status,
      device: run.device,
      deviceNote: run.deviceNote,
      error: run.error,
      warnings,
      step: run.step,
      totalSteps: run.totalSteps,
      settings: run.settingsJson === null ? null : (JSON.parse(run.settingsJson) as TrainSettings),
      config,
      canResume: (run.status === 'interrupted' || run.status === 'cancelled') && hasCheckpoint(run),
      jobId: runs.latestJobId(run.id),
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    };
  }

  function announce(runId: number): void {
    events.emit('runsChanged', { runId, status: runs.get(runId)?.status ?? 'unknown' });
  }

  async function defaults(datasetId: number, baseModelId: number): Promise<TrainDefaults> {
    const { rows } = requireDatasetRows(datasetId);
    const base = requireModel(baseModelId);
    const { modelDir } = models.resolve(base.id);
    const config = readModelConfig(modelDir);
    const tokenizer = loadTokenizer(modelDir, config);
    const stride = Math.max(1, Math.ceil(rows.length / LENGTH_SAMPLE));
    const sample = trainerRows(
      rows.filter((_, i) => i % stride === 0),
      tokenizer.hasChatTemplate,
    );
    const pairTokens = sample.map((row, i) => {
      const e = tokenizeRow(row, tokenizer, `dataset ${datasetId} pair ${i + 1}`);
      return e.prompt.length + Math.max(e.chosen.length, e.rejected.length);
    });
    const info = await deps.device();
    const trainPairs = rows.filter((row) => row.split === 'train').length;
    const { settings, notes } = defaultTrainSettings(
      { trainPairs, evalPairs: rows.length - trainPairs, pairTokens },
      { maxPositions: config.maxPositions, parameterCount: base.parameterCount },
      info.device,
    );
    return {
      settings,
      notes,
      trainPairs,
      evalPairs: rows.length - trainPairs,
      device: info.device,
      deviceLine: deviceLine(info.device, info.reason),
    };
  }

  /** Stores each attempt's start and logged rows and reports them as progress and 'runMetrics'. */
  function attemptHooks(
    runId: number,
    ctx: JobContext,
    attempt: { args: TrainArgs; retryNote: string | null; checkpointDir: string },
  ): TrainHooks {
    let startedAt = performance.now();
    let startStep = 0;
    let total = 0;
    let started = false;
    const warnings: string[] = [];
    return {
      cache,
      signal: ctx.signal,
      // Settings warnings arrive before onStart (stored with the run's config there); later ones at once.
      onWarning: (message) => {
        warnings.push(message);
        if (!started) return;
        runs.setWarnings(runId, warnings);
        announce(runId);
      },
      onStart: (info) => {
        [startedAt, startStep, total] = [performance.now(), info.startStep, info.totalSteps];
        const notes = [info.device === 'cpu' ? deviceLine('cpu', info.reason) : null, attempt.retryNote];
        const note = notes.filter((n) => n !== null).join('; ');
        const facts = { trainPairs: info.trainPairs, evalPairs: info.evalPairs };
        const cacheUse = { cachedReferencePairs: info.cachedPairs, scoredReferencePairs: info.scoredPairs };
        const gb = (bytes: number): number => Number((bytes / 2 ** 30).toFixed(2));
        const memory = {
          microBatch: info.memory.microBatch,
          gradAccum: info.memory.gradAccum,
          recompute: info.memory.recompute,
          headChunks: info.memory.headChunks,
          estimatedGb: gb(info.memory.estimate.total),
          budgetGb: gb(info.memory.budget),
        };
        runs.markRunning(runId, {
          device: info.device,
          deviceNote: note === '' ? null : note,
          totalSteps: info.totalSteps,
          checkpointDir: attempt.checkpointDir,
          configJson: JSON.stringify({ ...attempt.args, run: { ...facts, ...cacheUse, memory }, warnings }),
        });
        started = true;
        runs.deleteMetricsAfter(runId, info.startStep);
        runs.setStep(runId, info.startStep);
        ctx.progress(info.startStep, info.totalSteps, `step ${info.startStep}/${info.totalSteps}`);
        announce(runId);
      },
      onLog: (row) => {
        const step = row.step as number;
        const train: Record<string, number | null> = {};
        const evalValues: Record<string, number | null> = {};
        for (const [name, value] of Object.entries(row)) {
          if (name !== 'step') (name.startsWith('eval_') ? evalValues : train)[name] = finiteOrNull(value);
        }
        db.transaction(() => {
          runs.insertMetrics(runId, step, 'train', train as Record<string, number>);
          if (Object.keys(evalValues).length > 0)
            runs.insertMetrics(runId, step, 'eval', evalValues as Record<string, number>);
          runs.setStep(runId, step);
        })();
        const perStep = (performance.now() - startedAt) / 1000 / Math.max(1, step - startStep);
        const progress = {
          step,
          totalSteps: total,
          tokensPerSecond: finiteOrNull(row['tokens/s'] ?? Number.NaN),
          secondsLeft: Math.max(0, (total - step) * perStep),
        };
        ctx.progress(step, total, `step ${step}/${total}`);
        ctx.emit('runMetrics', { runId, step, train, eval: evalValues, progress });
      },
    };
  }

  /** The adapter folder as a tuned version of the base; the run completed. */
  function registerOutput(run: RunRecord, base: ModelRow, runDir: string, args: TrainArgs): number {
    const model = models.insert({
      name: `${base.name} · ${args.method.toUpperCase()} run ${run.id}`,
      kind: 'trained',
      path: runDir,
      adapterPath: runDir,
      architecture: base.architecture,
      dtype: base.dtype,
      parameterCount: base.parameterCount,
      parentId: base.id,
      config: {
        runId: run.id,
        datasetId: run.datasetId,
        method: args.method,
        loss: args.loss,
        beta: args.beta,
        loraR: args.loraR,
      },
    });
    runs.finish(run.id, 'completed', { outputModelId: model.id });
    events.emit('modelsChanged', { modelIds: [model.id], kind: 'added' });
    announce(run.id);
    return model.id;
  }

  /** Marks the run as the failure left it (cancelled, failed with the message) and rethrows. */
  function fail(runId: number, ctx: JobContext, error: unknown, message?: string): never {
    if (ctx.signal.aborted && message === undefined) {
      if (runs.get(runId)?.status !== 'cancelled') runs.finish(runId, 'cancelled');
    } else runs.finish(runId, 'failed', { error: message ?? (error as Error).message });
    announce(runId);
    throw message === undefined ? error : new Error(message, { cause: error });
  }

  /**
   * One run's job: attempts in the worker until it completes, is cancelled or fails. An out-of-memory
   * failure starts another attempt with half the micro-batch, from the last checkpoint.
   */
  async function execute(runId: number, firstArgs: TrainArgs, resumeFirst: boolean, ctx: JobContext) {
    const run = requireRun(runId);
    const base = requireModel(run.baseModelId);
    const { modelDir, adapterDir } = models.resolve(base.id);
    const runDir = runDirOf(deps.dataDir, runId);
    const attempt = {
      args: firstArgs,
      retryNote: null as string | null,
      checkpointDir: join(runDir, CHECKPOINT_DIR),
    };
    let resume = resumeFirst;
    for (;;) {
      const request = { modelDir, ...(adapterDir ? { adapterDir } : {}), runDir, args: attempt.args, resume };
      let outcome;
      try {
        outcome = await runTraining(request, attemptHooks(runId, ctx, attempt));
      } catch (error) {
        if (!(error instanceof TrainFailure && error.kind === 'out-of-memory')) fail(runId, ctx, error);
        const { args } = attempt;
        const micro = args.batchSize / args.gradAccum;
        const smaller = halveMicroBatch(args);
        if (!smaller || ctx.signal.aborted)
          fail(
            runId,
            ctx,
            error,
            `out of GPU memory even with micro-batch ${micro}: lower max length or LoRA r, or train on the CPU (${(error as Error).message})`,
          );
        attempt.retryNote =
          `out of GPU memory with micro-batch ${micro}: retried with ${smaller.batchSize / smaller.gradAccum} ` +
          `(gradient accumulation ${smaller.gradAccum}, same batch of ${args.batchSize})`;
        runs.setDeviceNote(runId, attempt.retryNote);
        attempt.args = smaller;
        resume = false; // continues from the checkpoint when one was written
        continue;
      }
      if (outcome.status === 'cancelled') fail(runId, ctx, new Error('cancelled'));
      const outputModelId = registerOutput(run, base, runDir, attempt.args);
      return { runId, outputModelId, steps: outcome.steps };
    }
  }

  function launch(runId: number, args: TrainArgs, resume: boolean): number {
    const running = [...active.keys()][0];
    if (running !== undefined)
      throw new ApiError('conflict', `run ${running} is training; cancel it or wait for it to finish`);
    const jobId = jobs.start(
      'train',
      { runId, resume },
      async (ctx) => {
        try {
          return await execute(runId, args, resume, ctx);
        } finally {
          active.delete(runId);
        }
      },
      { runId },
    );
    active.set(runId, jobId);
    return jobId;
  }

  async function start(datasetId: number, baseModelId: number, given: Partial<TrainSettings>) {
    const { rows } = requireDatasetRows(datasetId);
    const base = requireModel(baseModelId);
    const running = [...active.keys()][0];
    if (running !== undefined)
      throw new ApiError('conflict', `run ${running} is training; cancel it or wait for it to finish`);
    const settings: TrainSettings = { ...(await defaults(datasetId, baseModelId)).settings, ...given };
    const args = toTrainArgs(settings);
    const runId = runs.create({
      baseModelId: base.id,
      datasetId,
      configJson: JSON.stringify(args),
      settingsJson: JSON.stringify(settings),
    }); // the dataset is frozen from here on (trigger of 0002)
    const runDir = runDirOf(deps.dataDir, runId);
    const tokenizer = loadTokenizer(models.resolve(base.id).modelDir);
    let jobId: number;
    try {
      const extra =
        args.method === 'kto' ? ktoExtraRows(db, datasetId, rows, tokenizer.hasChatTemplate) : undefined;
      await writeRunPairs(runDir, rows, tokenizer.hasChatTemplate, extra);
      jobId = launch(runId, args, false);
    } catch (error) {
      runs.finish(runId, 'failed', { error: (error as Error).message }); // e.g. another start won the race
      announce(runId);
      throw error;
    }
    announce(runId);
    return { runId, jobId };
  }

  function resume(runId: number) {
    const run = requireRun(runId);
    if (!toRun(run).canResume)
      throw new ApiError(
        'conflict',
        `run ${runId} is ${run.status}${hasCheckpoint(run) ? '' : ' and has no checkpoint'}; only an interrupted or cancelled run with a checkpoint can be resumed`,
      );
    // The settings in force when it stopped (an out-of-memory retry's accumulation included).
    const {
      run: _facts,
      warnings: _warnings,
      ...config
    } = JSON.parse(run.configJson) as TrainArgs & { run?: unknown; warnings?: unknown };
    const args = resolveTrainArgs(config);
    runs.setStatus(runId, 'queued');
    const jobId = launch(runId, args, true);
    announce(runId);
    return { runId, jobId };
  }

  function cancel(runId: number): { cancelled: boolean } {
    requireRun(runId);
    const jobId = active.get(runId);
    return { cancelled: jobId !== undefined && jobs.cancel(jobId) };
  }

  function detail(runId: number): RunDetail {
    const run = toRun(requireRun(runId));
    return {
      run,
      metrics: {
        train: seriesOf(runs.metricsOf(runId, 'train')),
        eval: seriesOf(runs.metricsOf(runId, 'eval')),
      },
    };
  }

  return {
    defaults,
    start,
    resume,
    cancel,
    detail,
    list: (limit = 100) => runs.list(limit).map(toRun),
    /** Runs a crash left queued or running -> 'interrupted' (Resume continues them); call once at startup. */
    markInterruptedAtStartup: () => runs.markInterrupted(),
    /** Settles when the run's current job has (for tests and the CLI). */
    wait: async (runId: number) => {
      const jobId = active.get(runId) ?? runs.latestJobId(runId);
      if (jobId !== null) await jobs.wait(jobId);
      return toRun(requireRun(runId));
    },
  };
}

export type TrainService = ReturnType<typeof createTrainService>;

/** The training methods of the API contract. */
/** The training methods of the contract; getRoundPlan is round-plan.ts's. */
export function createTrainHandlers(
  train: TrainService,
): Pick<ApiHandlers, Exclude<keyof typeof trainContract, 'getRoundPlan'>> {
  return {
    getTrainDefaults: ({ datasetId, baseModelId }) => train.defaults(datasetId, baseModelId),
    startTraining: ({ datasetId, baseModelId, settings }) => train.start(datasetId, baseModelId, settings),
    listRuns: ({ limit }) => train.list(limit),
    getRun: ({ runId }) => train.detail(runId),
    cancelRun: ({ runId }) => train.cancel(runId),
    resumeRun: ({ runId }) => train.resume(runId),
  };
}
