// The training service on the llama fixture checkpoint (a few steps each): a run as a job in a worker thread
// with every metric stored and streamed while the main thread stays free, the reference cache hit by the
// next run, cancel + crash + resume equal to an unbroken run, NaN, the out-of-memory retry, and the
// adapter registered as a tuned version of its base.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEventPayload } from '../../../src-shared/api';
import type { TrainSettings } from '../../../src-shared/train-schemas';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { SafetensorsFile } from '../../models/index';
import { ModelsRepo } from '../../store/models-repo';
import { ReferenceLogpsRepo } from '../../store/reference-logps-repo';
import { openTempDatabase, type TempDatabase } from '../../store/test-support';
import { EventBus } from '../jobs/event-bus';
import { JobRunner } from '../jobs/job-runner';
import { createTrainService, type TrainService } from './train-service';
import { halveMicroBatch } from './run-settings';
import { runTrainingInWorker, TrainFailure, type RunTraining } from './train-worker-client';
import { createDataServices } from '../workbench-services';
import { resolveTrainArgs } from '../../train/index';

let temp: TempDatabase;
let modelDir: string;
let events: EventBus;
let jobs: JobRunner;
let baseModelId: number;
let datasetId: number;
const metrics: ApiEventPayload<'runMetrics'>[] = [];

const PAIRS = [
  ['What is the capital of France?', 'Paris.', 'I do not know, maybe Rome.'],
  ['What is 2+2?', '4', 'It is 5, or 22.'],
  ['Name a color.', 'Blue.', 'Numbers are not colors: 7.'],
  ['What is water made of?', 'Hydrogen and oxygen.', 'Sand.'],
  ['Say hello.', 'Hello!', 'Goodbye forever.'],
  ['What is 3*3?', '9', '33'],
  ['Which is larger, 10 or 2?', '10', '2'],
  ['Spell cat.', 'c-a-t', 'd-o-g'],
];

beforeAll(async () => {
  temp = openTempDatabase();
  modelDir = writeCheckpointFixture();
  events = new EventBus();
  events.subscribe((event, payload) => {
    if (event === 'runMetrics') metrics.push(payload as ApiEventPayload<'runMetrics'>);
  });
  jobs = new JobRunner(temp.db, events);
  baseModelId = new ModelsRepo(temp.db).insert({
    name: 'fixture',
    kind: 'imported',
    path: modelDir,
    adapterPath: null,
    architecture: 'LlamaForCausalLM',
    dtype: 'float32',
    parameterCount: null,
    parentId: null,
    config: null,
  }).id;
  const data = createDataServices(temp.db, events);
  const lines = PAIRS.map(([prompt, chosen, rejected]) => JSON.stringify({ prompt, chosen, rejected }));
  const imported = await data.imports.importFile({
    fileName: 'pairs.jsonl',
    bytes: new TextEncoder().encode(lines.join('\n')),
    as: 'pairs',
    dataset: 'eight pairs',
  });
  datasetId = data.datasets.idByName('eight pairs');
  expect(imported.pairsAdded).toBe(8);
  data.datasets.rebuild(datasetId, { evalFraction: 0.25, splitSeed: 1 });
});
afterAll(() => {
  jobs.close();
  temp.dispose();
  rmSync(modelDir, { recursive: true, force: true });
});

const device = () =>
  Promise.resolve({ requested: 'auto' as const, device: 'cpu' as const, reason: 'no GPU here' });

function service(runTraining?: RunTraining): TrainService {
  return createTrainService({
    db: temp.db,
    events,
    jobs,
    dataDir: temp.dir,
    device,
    ...(runTraining ? { runTraining } : {}),
  });
}

const FAST: Partial<TrainSettings> = {
  lr: 1e-2,
  batchSize: 2,
  evalEvery: 2,
  checkpointEvery: 1,
  device: 'cpu',
};

function adapterOf(runDir: string): Map<string, Float32Array> {
  const file = SafetensorsFile.open(join(runDir, 'adapter_model.safetensors'));
  return new Map([...file.tensors.keys()].map((k) => [k, file.readFloat32(k).data]));
}

describe('training runs in the app', () => {
  it('trains in a worker, stores and streams every metric, and registers the tuned version', async () => {
    const train = service();
    let worstLagMs = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worstLagMs = Math.max(worstLagMs, now - last - 20);
      last = now;
    }, 20);
    const { runId } = await train.start(datasetId, baseModelId, { ...FAST, maxSteps: 4 });
    const run = await train.wait(runId).finally(() => clearInterval(timer));
    expect(run).toMatchObject({ status: 'completed', step: 4, totalSteps: 4, device: 'cpu', error: null });
    expect(run.deviceNote).toMatch(/^CPU/);
    expect(worstLagMs).toBeLessThan(500); // the main thread kept answering (a blocked one stalls for seconds)
    expect(run.config).toMatchObject({
      batchSize: 2,
      run: { trainPairs: 6, evalPairs: 2, scoredReferencePairs: 8 }, // 25 % of 8 pairs held out
    });

    const detail = train.detail(runId);
    const names = detail.metrics.train.map((s) => s.name);
    for (const name of [
      'loss',
      'rewards/chosen',
      'rewards/margins',
      'logps/rejected',
      'grad_norm',
      'learning_rate',
      'tokens/s',
    ])
      expect(names).toContain(name);
    expect(detail.metrics.train.find((s) => s.name === 'loss')?.steps).toEqual([1, 2, 3, 4]);
    expect(detail.metrics.eval.find((s) => s.name === 'eval_loss')?.steps).toEqual([2, 4]);
    const streamed = metrics.filter((m) => m.runId === runId);
    expect(streamed.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(streamed[3]?.progress).toMatchObject({ step: 4, totalSteps: 4, secondsLeft: 0 });
    const evalLoss = detail.metrics.eval.find((m) => m.name === 'eval_loss');
    expect(streamed[1]?.eval.eval_loss).toBeCloseTo(evalLoss?.values[0] as number, 10);

    const version = new ModelsRepo(temp.db).get(run.outputModelId as number);
    expect(version).toMatchObject({ kind: 'trained', parentId: baseModelId, path: modelDir });
    expect(adapterOf(version?.adapterPath as string).size).toBeGreaterThan(0);
    const frozen = temp.db.prepare('SELECT frozen_at FROM datasets WHERE id = ?').pluck().get(datasetId);
    expect(frozen).not.toBeNull();
  });

  it('a second run takes every reference log-prob from the SQLite cache', async () => {
    const train = service();
    const cached = new ReferenceLogpsRepo(temp.db).count();
    expect(cached).toBe(16); // 8 pairs x (chosen, rejected) from the first run
    const { runId } = await train.start(datasetId, baseModelId, { ...FAST, maxSteps: 1 });
    const run = await train.wait(runId);
    expect(run.config).toMatchObject({ run: { cachedReferencePairs: 8, scoredReferencePairs: 0 } });
    expect(new ReferenceLogpsRepo(temp.db).count()).toBe(16);
  });

  it('trains on from a tuned version: its adapter continues on the same base checkpoint', async () => {
    const train = service();
    const tuned = new ModelsRepo(temp.db).list().find((m) => m.kind === 'trained');
    const { runId } = await train.start(datasetId, tuned?.id as number, { ...FAST, maxSteps: 1 });
    const run = await train.wait(runId);
    expect(run.status).toBe('completed');
    // The reference is the tuned version itself (default 'init'), so its log-probs were not in the cache of
    // the base; with reference 'base' they all are.
    expect(run.config).toMatchObject({ reference: 'init', run: { scoredReferencePairs: 8 } });
    const next = new ModelsRepo(temp.db).get(run.outputModelId as number);
    expect(next).toMatchObject({ kind: 'trained', parentId: tuned?.id, path: modelDir });
    const before = adapterOf(tuned?.adapterPath as string);
    const after = adapterOf(next?.adapterPath as string);
    expect([...after.keys()]).toEqual([...before.keys()]);
    const fromBase = await train.start(datasetId, tuned?.id as number, {
      ...FAST,
      maxSteps: 1,
      reference: 'base',
    });
    expect((await train.wait(fromBase.runId)).config).toMatchObject({
      reference: 'base',
      run: { scoredReferencePairs: 0, cachedReferencePairs: 8 },
    });
  });

  it('cancel, a crash and Resume give the same adapter as an unbroken run', async () => {
    const train = service();
    const settings = { ...FAST, maxSteps: 6, evalEvery: 3 };
    const whole = await train.start(datasetId, baseModelId, settings);
    const wholeRun = await train.wait(whole.runId);

    const broken = await train.start(datasetId, baseModelId, settings);
    const stop = events.subscribe((event, payload) => {
      const m = payload as ApiEventPayload<'runMetrics'>;
      if (event === 'runMetrics' && m.runId === broken.runId && m.step === 2) train.cancel(broken.runId);
    });
    const cancelled = await train.wait(broken.runId).finally(stop);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.step).toBeLessThan(6);
    expect(cancelled.canResume).toBe(true);

    // The process dies while running: the next start marks the run interrupted, with Resume.
    temp.db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(broken.runId);
    expect(service().markInterruptedAtStartup()).toEqual([broken.runId]);
    expect(train.list().find((r) => r.id === broken.runId)).toMatchObject({
      status: 'interrupted',
      canResume: true,
    });

    await train.resume(broken.runId);
    const resumed = await train.wait(broken.runId);
    expect(resumed).toMatchObject({ error: null, status: 'completed', step: 6 });
    const a = adapterOf(join(temp.dir, 'runs', String(wholeRun.id)));
    const b = adapterOf(join(temp.dir, 'runs', String(resumed.id)));
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, x] of a)
      expect(
        x.every((v, i) => v === b.get(k)?.[i]),
        k,
      ).toBe(true);
    expect(train.detail(broken.runId).metrics.train.find((s) => s.name === 'loss')?.steps).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(() => train.resume(broken.runId)).toThrow(/only an interrupted or cancelled run/);
  });

  it('NaN stops the run as failed with the message, after a warning about the setting; no version is registered', async () => {
    const train = service();
    const before = new ModelsRepo(temp.db).list().length;
    const { runId } = await train.start(datasetId, baseModelId, {
      ...FAST,
      optimizer: 'sgd',
      lr: 1e38,
      maxSteps: 4,
    });
    const run = await train.wait(runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^training stopped at step \d: \S+ is not finite/);
    // Said before step 1, and kept with the run for the Train view.
    expect(run.warnings[0]).toMatch(/^--lr 1e\+38 is outside what DPO fine-tunes use \(usually 1e-7 to 1e-4/);
    expect(new ModelsRepo(temp.db).list().length).toBe(before);
  });

  it('out of GPU memory: retried with half the micro-batch and twice the accumulation', async () => {
    const micro: number[] = [];
    const oomAboveOne: RunTraining = (request, hooks) => {
      micro.push(request.args.batchSize / request.args.gradAccum);
      if (request.args.gradAccum === 1)
        return Promise.reject(new TrainFailure('out-of-memory', 'CUDA failure 2: out of memory'));
      return runTrainingInWorker(request, hooks);
    };
    const train = service(oomAboveOne);
    const { runId } = await train.start(datasetId, baseModelId, { ...FAST, maxSteps: 2 });
    const run = await train.wait(runId);
    expect(micro).toEqual([2, 1]);
    expect(run.status).toBe('completed');
    expect(run.config).toMatchObject({ batchSize: 2, gradAccum: 2 });
    expect(run.deviceNote).toContain('out of GPU memory with micro-batch 2: retried with 1');

    const always: RunTraining = () => Promise.reject(new TrainFailure('out-of-memory', 'out of memory'));
    const hopeless = service(always);
    const second = await hopeless.start(datasetId, baseModelId, { ...FAST, batchSize: 1, maxSteps: 1 });
    const failed = await hopeless.wait(second.runId);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^out of GPU memory even with micro-batch 1: lower max length/);
  });

  it('refuses bad settings, unknown datasets and models, naming the field', async () => {
    const train = service();
    await expect(train.start(datasetId, baseModelId, { batchSize: 4, gradAccum: 3 })).rejects.toThrow(
      /^settings\.gradAccum must be a positive integer dividing --batch-size 4/,
    );
    await expect(train.start(999, baseModelId, {})).rejects.toThrow(/datasetId: no dataset with id 999/);
    await expect(train.start(datasetId, 999, {})).rejects.toThrow(/baseModelId: no model with id 999/);
    expect(() => train.resume(999)).toThrow(/runId: no run with id 999/);
  });

  it('sizes one-click defaults from the tokenized dataset and says why', async () => {
    const defaults = await service().defaults(datasetId, baseModelId);
    expect(defaults).toMatchObject({
      trainPairs: 6, // the dataset's own split: 25 % of its 8 pairs, by prompt (hash order, seed 1)
      evalPairs: 2,
      device: 'cpu',
      deviceLine: 'CPU (no CUDA: no GPU here)',
    });
    // The longest pair: the chat-templated prompt plus the longer answer, in characters (+ eos), rounded to 16.
    expect(defaults.settings.maxLength).toBe(64); // capped by the fixture's 64 positions
    expect(defaults.settings.batchSize).toBe(1);
    expect(defaults.notes[0]).toMatch(/^max length 64: the longest pair has \d+ tokens/);
  });
});

describe('halveMicroBatch', () => {
  it('finds the next accumulation with at most half the micro-batch, or none at 1', () => {
    const args = (batchSize: number, gradAccum: number) => resolveTrainArgs({ batchSize, gradAccum });
    expect(halveMicroBatch(args(8, 1))?.gradAccum).toBe(2);
    expect(halveMicroBatch(args(8, 2))?.gradAccum).toBe(4);
    expect(halveMicroBatch(args(6, 1))?.gradAccum).toBe(2);
    expect(halveMicroBatch(args(6, 2))?.gradAccum).toBe(6);
    expect(halveMicroBatch(args(4, 4))).toBeUndefined();
  });
});
