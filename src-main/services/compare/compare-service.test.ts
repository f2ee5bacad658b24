// The compare service over a real database and job runner, with a deterministic generator in place of the
// model (text = which folder + seed + prompt, as the real one is deterministic per seed): blind safety, sides
// drawn per item, the same seed for both models, win rates against hand-computed cases, votes kept across
// a restart, prompts from a run's eval split, refusals.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiParsedInput } from '../../../src-shared/api';
import type { ApiError } from '../../../src-shared/errors';
import { openDatabase } from '../../store/open-database';
import { ModelsRepo } from '../../store/models-repo';
import { RunsRepo } from '../../store/runs-repo';
import { makeTempDir, removeDir } from '../../store/test-support';
import {
  aOnLeftAt,
  createCompareService,
  type CompareGenerate,
  type CompareGenerationRequest,
} from './compare-service';
import { registerCompareModels } from './compare-test-support';
import { EventBus } from '../jobs/event-bus';
import { runGeneration } from '../generate/generate-job';
import { JobRunner } from '../jobs/job-runner';
import { createDataServices } from '../workbench-services';

const BASE = 'Basilisk-base-7';
const TUNED = 'Tanager-tuned-9';

let dir: string;
let opened: ReturnType<typeof openDatabase>;
let jobs: JobRunner;
let requests: CompareGenerationRequest[];
let failWith: string | null;

/** Deterministic per (model folder, adapter, seed, prompt, candidate), like sampling with a fixed seed. */
const generate: CompareGenerate = async (req) => {
  requests.push(req);
  if (failWith) throw new Error(failWith);
  const who = req.adapterDir ? 'tuned' : 'base';
  return {
    candidates: req.prompts.flatMap((p) =>
      Array.from({ length: req.n }, (_, index) => ({
        promptId: p.id,
        index,
        text: `${who} answer ${index} to “${p.text ?? p.messages?.at(-1)?.content}” (seed ${req.seed})`,
        tokenCount: 5,
      })),
    ),
  };
};

function open() {
  opened = openDatabase(dir);
  const events = new EventBus();
  jobs = new JobRunner(opened.db, events);
  const models = new ModelsRepo(opened.db);
  return { service: createCompareService({ db: opened.db, events, models, jobs, generate }), models, events };
}

let service: ReturnType<typeof open>['service'];
let baseId: number;
let tunedId: number;

beforeEach(() => {
  dir = makeTempDir('dpo-compare-');
  requests = [];
  failWith = null;
  const made = open();
  service = made.service;
  // Filler rows so the two models' ids are not small numbers that also appear as positions or counts.
  for (let i = 0; i < 6; i++)
    made.models.insert({
      name: `filler ${i}`,
      kind: 'imported',
      path: `/models/filler-${i}`,
      adapterPath: null,
      architecture: null,
      dtype: null,
      parameterCount: null,
      parentId: null,
      config: null,
    });
  const common = { architecture: 'llama', dtype: 'float32', parameterCount: 1000, config: null };
  baseId = made.models.insert({
    ...common,
    name: BASE,
    kind: 'imported',
    path: '/models/base',
    adapterPath: null,
    parentId: null,
  }).id;
  tunedId = made.models.insert({
    ...common,
    name: TUNED,
    kind: 'trained',
    path: '',
    adapterPath: '/runs/1/adapter',
    parentId: baseId,
  }).id;
});

afterEach(() => {
  jobs.close();
  opened.db.close();
  removeDir(dir);
});

const TEXTS = Array.from({ length: 10 }, (_, i) => `Question ${i + 1}?`);

function createInput(
  overrides: Partial<ApiParsedInput<'createComparison'>> = {},
): ApiParsedInput<'createComparison'> {
  return {
    modelAId: baseId,
    modelBId: tunedId,
    prompts: { kind: 'texts', texts: TEXTS },
    blind: true,
    seed: 42,
    n: 1,
    maxNewTokens: 16,
    temperature: 1,
    topP: 1,
    topK: 0,
    ...overrides,
  };
}

async function createReady(overrides: Partial<ApiParsedInput<'createComparison'>> = {}) {
  const created = service.create(createInput(overrides));
  await jobs.wait(created.jobId as number);
  return service.get(created.id);
}

/** Keys naming a model whose value is not null, anywhere in a JSON value. */
function modelKeys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => modelKeys(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => [
    ...(/model/i.test(key) && v !== null ? [`${path}.${key}`] : []),
    ...modelKeys(v, `${path}.${key}`),
  ]);
}

async function rejection(call: () => unknown): Promise<ApiError> {
  try {
    await call();
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected the call to be refused');
}

describe('compare service', () => {
  it('never says which model is where before the reveal, and says it after', async () => {
    const ready = await createReady();
    expect(ready.status).toBe('voting');
    expect(ready.itemList.every((item) => item.left !== null && item.right !== null)).toBe(true);
    const identities = (json: string) =>
      [BASE, TUNED, `"id":${baseId},`, `"id":${tunedId},`].filter((s) => json.includes(s));
    // The job (listJobs) says nothing about the models either.
    const before = [JSON.stringify(ready), JSON.stringify(service.list(10)), JSON.stringify(jobs.list())];
    expect(jobs.get(ready.jobId as number)).toMatchObject({
      kind: 'compare',
      payload: { comparisonId: ready.id },
    });
    for (const json of before) {
      expect(identities(json)).toEqual([]);
      expect(modelKeys(JSON.parse(json))).toEqual([]);
    }
    service.vote({ comparisonId: ready.id, position: 0, vote: 'left' });
    const revealed = JSON.stringify(service.reveal(ready.id));
    // The same checks find the identities once revealed, so they are able to fail.
    expect(identities(revealed)).toEqual([BASE, TUNED, `"id":${baseId},`, `"id":${tunedId},`]);
    expect(modelKeys(JSON.parse(revealed))).toContain('.models');
    expect(modelKeys(JSON.parse(revealed))).toContain('.itemList[0].leftModel');
  });

  it('draws the side per item from the seed, and keeps A on the left when labelled', async () => {
    const blind = await createReady({
      prompts: { kind: 'texts', texts: [...TEXTS, ...TEXTS.map((t) => `${t}!`)] },
    });
    const sides = blind.itemList.map((item) => item.left?.startsWith('base'));
    expect(sides).toEqual(blind.itemList.map((_, position) => aOnLeftAt(42, position)));
    expect(sides.filter(Boolean).length).toBeGreaterThan(3);
    expect(sides.filter((s) => !s).length).toBeGreaterThan(3);
    const labelled = await createReady({ blind: false });
    expect(labelled.models).toEqual({ a: { id: baseId, name: BASE }, b: { id: tunedId, name: TUNED } });
    expect(labelled.itemList.every((item) => item.leftModel === 'a' && item.left?.startsWith('base'))).toBe(
      true,
    );
  });

  it('gives both models the same seed, prompts and sampling, one output per prompt by default', async () => {
    const ready = await createReady({ seed: 7, temperature: 0.7, topP: 0.9, topK: 20 });
    expect(requests.map((r) => [r.modelDir, r.adapterDir])).toEqual([
      ['/models/base', undefined],
      ['/models/base', '/runs/1/adapter'],
    ]);
    const [a, b] = requests;
    expect(b).toMatchObject({ seed: 7, n: 1, temperature: 0.7, topP: 0.9, topK: 20, prompts: a?.prompts });
    expect(a?.prompts).toHaveLength(10);
    expect(ready.itemList[3]?.prompt).toBe('Question 4?');
  });

  it('pairs candidate i of one model with candidate i of the other when n > 1', async () => {
    const ready = await createReady({ n: 3, prompts: { kind: 'texts', texts: ['One?', 'Two?'] } });
    expect(ready.itemList.map((i) => [i.prompt, i.left?.match(/answer (\d)/)?.[1]])).toEqual([
      ['One?', '0'],
      ['One?', '1'],
      ['One?', '2'],
      ['Two?', '0'],
      ['Two?', '1'],
      ['Two?', '2'],
    ]);
    expect(
      ready.itemList.every((i) => i.left?.match(/answer (\d)/)?.[1] === i.right?.match(/answer (\d)/)?.[1]),
    ).toBe(true);
  });

  it("computes B's win rate with ties and both-bad as half, against hand-computed values", async () => {
    const ready = await createReady();
    // B (tuned) better on 6 items, A on 2, one tie, one both bad: (6 + 0.5 + 0.5) / 10 = 0.7.
    const plan = ['b', 'b', 'a', 'b', 'tie', 'b', 'a', 'both_bad', 'b', 'b'] as const;
    plan.forEach((want, position) => {
      const item = ready.itemList[position];
      const tunedLeft = item?.left?.startsWith('tuned') ?? false;
      const vote =
        want === 'tie' || want === 'both_bad' ? want : (want === 'b') === tunedLeft ? 'left' : 'right';
      service.vote({ comparisonId: ready.id, position, vote });
    });
    const revealed = service.reveal(ready.id);
    expect(revealed.status).toBe('revealed');
    expect(revealed.result).toMatchObject({
      wins: 6,
      losses: 2,
      ties: 1,
      bothBad: 1,
      unvoted: 0,
      n: 10,
      rate: 0.7,
    });
    // Wilson, z = 1.96, p = 0.7, n = 10: 0.3968 .. 0.8922.
    expect(revealed.result?.low).toBeCloseTo(0.396778, 5);
    expect(revealed.result?.high).toBeCloseTo(0.892209, 5);
    expect(revealed.itemList.map((i) => i.leftModel === 'b')).toEqual(
      revealed.itemList.map((i) => i.left?.startsWith('tuned')),
    );
    // History keeps it.
    expect(service.list(5)[0]).toMatchObject({ id: ready.id, status: 'revealed', result: revealed.result });
  });

  it('counts unvoted items apart: 2 wins, 1 tie and 1 both bad of 4 votes is 0.75 on n = 4', async () => {
    const ready = await createReady({ prompts: { kind: 'texts', texts: TEXTS.slice(0, 6) } });
    const tunedSide = (p: number) => (ready.itemList[p]?.left?.startsWith('tuned') ? 'left' : 'right');
    service.vote({ comparisonId: ready.id, position: 0, vote: tunedSide(0) });
    service.vote({ comparisonId: ready.id, position: 1, vote: tunedSide(1) });
    service.vote({ comparisonId: ready.id, position: 2, vote: 'tie' });
    service.vote({ comparisonId: ready.id, position: 3, vote: 'both_bad' });
    const { result } = service.reveal(ready.id);
    expect(result).toMatchObject({ wins: 2, losses: 0, ties: 1, bothBad: 1, unvoted: 2, n: 4, rate: 0.75 });
    // successes 3 of 4 in Wilson's formula.
    expect(result?.low).toBeCloseTo(0.300642, 5);
  });

  it('keeps votes cast before a kill, and marks a cut-off generation interrupted', async () => {
    const ready = await createReady();
    service.vote({ comparisonId: ready.id, position: 0, vote: 'tie' });
    service.vote({ comparisonId: ready.id, position: 1, vote: 'right' });
    // A second comparison still generating when the process dies (its job starts after this tick).
    const pending = service.create(createInput());
    jobs.close();
    opened.db.close();
    service = open().service;
    expect(jobs.markInterruptedAtStartup()).toBe(1);
    expect(service.markInterruptedAtStartup()).toBe(1);
    const again = service.get(ready.id);
    expect(again.itemList.slice(0, 3).map((i) => i.vote)).toEqual(['tie', 'right', null]);
    expect(again.voted).toBe(2);
    expect(service.get(pending.id)).toMatchObject({ status: 'interrupted', voted: 0 });
    // Resumed after the restart: the missing outputs are generated, with the same seed.
    requests = [];
    await jobs.wait(service.resume(pending.id).jobId as number);
    expect(service.get(pending.id).itemList.every((i) => i.left !== null && i.right !== null)).toBe(true);
    expect(requests.map((r) => r.seed)).toEqual([42, 42]);
  });

  it('takes the held-out prompts of the run dataset by default', async () => {
    const data = createDataServices(opened.db, new EventBus());
    const rows = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ prompt: `P${i}`, chosen: `good ${i}`, rejected: `bad ${i}` }),
    );
    const imported = await data.imports.importFile({
      fileName: 'p.jsonl',
      bytes: new TextEncoder().encode(rows.join('\n')),
      as: 'pairs',
      dataset: 'd',
    });
    const dataset = data.datasets.rebuild(imported.dataset?.id as number, {
      evalFraction: 0.3,
      splitSeed: 4,
    });
    const evalPrompts = data.datasets
      .preview(dataset.id, 'eval', 0, 100)
      .rows.map((r) => r.prompt)
      .sort();
    expect(evalPrompts.length).toBeGreaterThan(0);
    const runId = new RunsRepo(opened.db).create({ baseModelId: baseId, datasetId: dataset.id });
    const noRun = await rejection(() => service.create(createInput({ prompts: { kind: 'run_eval' } })));
    expect(noRun.message).toBe(
      `prompts: model B (id ${tunedId}) was not trained here, so it has no held-out prompts; give prompt ids or texts`,
    );
    opened.db.prepare('UPDATE runs SET output_model_id = ? WHERE id = ?').run(tunedId, runId);
    // Without a run id: the run that produced model B.
    const ready = await createReady({ prompts: { kind: 'run_eval' } });
    expect(ready.itemList.map((i) => i.prompt).sort()).toEqual(evalPrompts);
    expect(ready).toMatchObject({ promptSource: 'run_eval', runId });
    const fileRun = new RunsRepo(opened.db).create({ baseModelId: baseId });
    const refused = await rejection(() =>
      service.create(createInput({ prompts: { kind: 'run_eval', runId: fileRun } })),
    );
    expect(refused.message).toMatch(`run ${fileRun} was trained from a file`);
  });

  it('refuses votes before the outputs, after the reveal, and on a missing item', async () => {
    const created = service.create(createInput());
    const early = await rejection(() =>
      service.vote({ comparisonId: created.id, position: 0, vote: 'left' }),
    );
    expect([early.code, early.message]).toEqual([
      'conflict',
      `comparison ${created.id} is generating: its outputs are not ready for votes`,
    ]);
    await jobs.wait(created.jobId as number);
    expect((await rejection(() => service.reveal(created.id))).message).toMatch('vote on at least one item');
    const missing = await rejection(() =>
      service.vote({ comparisonId: created.id, position: 10, vote: 'left' }),
    );
    expect([missing.code, missing.message]).toEqual([
      'not_found',
      `position: comparison ${created.id} has no item 10`,
    ]);
    service.vote({ comparisonId: created.id, position: 0, vote: 'left' });
    service.reveal(created.id);
    const late = await rejection(() => service.vote({ comparisonId: created.id, position: 1, vote: 'left' }));
    expect(late.message).toBe(`comparison ${created.id} is revealed: its votes can no longer change`);
    const unknown = await rejection(() => service.create(createInput({ modelBId: 999 })));
    expect([unknown.code, unknown.message]).toEqual(['not_found', 'modelBId: no model with id 999']);
    const noPrompt = await rejection(() =>
      service.create(createInput({ prompts: { kind: 'prompt_ids', promptIds: [5, 6] } })),
    );
    expect(noPrompt.message).toBe('prompts.promptIds: no prompt with id 5, 6');
  });

  it('records a failed generation with its reason', async () => {
    failWith = 'model folder has no tokenizer.json';
    const created = service.create(createInput());
    await jobs.wait(created.jobId as number);
    expect(service.get(created.id)).toMatchObject({
      status: 'failed',
      error: 'model folder has no tokenizer.json',
    });
    const refused = await rejection(() => service.resume(created.id + 1));
    expect(refused.code).toBe('not_found');
    failWith = null;
    const resumed = service.resume(created.id);
    expect(resumed.status).toBe('generating');
    await jobs.wait(resumed.jobId as number);
    expect(service.get(created.id)).toMatchObject({ status: 'voting', items: 10 });
    const again = await rejection(() => service.resume(created.id));
    expect(again.message).toBe(`comparison ${created.id} is voting: only a stopped generation can resume`);
  });
});

describe('compare service with the real generator', () => {
  it('gives the same outputs for the same seed, and the tuned adapter changes them', async () => {
    const models = await registerCompareModels(opened.db, { base: 'real base', tuned: 'real tuned' });
    try {
      const real = createCompareService({
        db: opened.db,
        events: new EventBus(),
        models: new ModelsRepo(opened.db),
        jobs,
        generate: (req, hooks) => runGeneration({ ...req, device: 'cpu' }, hooks),
      });
      const run = async () => {
        const created = real.create(
          createInput({
            modelAId: models.baseId,
            modelBId: models.tunedId,
            blind: false,
            maxNewTokens: 6,
            prompts: { kind: 'texts', texts: ['Hi?', 'Bye?'] },
          }),
        );
        expect((await jobs.wait(created.jobId as number))?.status).toBe('completed');
        return real.get(created.id).itemList.map((i) => [i.left, i.right]);
      };
      const first = await run();
      expect(await run()).toEqual(first);
      expect(first.map(([a]) => a)).not.toEqual(first.map(([, b]) => b));
    } finally {
      models.dispose();
    }
  });
});
