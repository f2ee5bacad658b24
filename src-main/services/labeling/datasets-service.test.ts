// Datasets built from ratings through the services: majority of several annotators, weights from strength,
// ties and skips excluded and counted, filters, stats, agreement, and a frozen dataset left alone.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiHandlers, ApiParsedInput } from '../../../src-shared/api';
import { makeTempDir, removeDir } from '../../store/test-support';
import { openWorkbench, type Workbench } from '../open-workbench';

let dir: string;
let workbench: Workbench;
let api: ApiHandlers;
let ana: number;
let bo: number;
const ME = 1;

const ROWS = ['P1', 'P2', 'P3', 'P4', 'P5'].map((prompt) => ({
  prompt,
  chosen: `${prompt} good answer`,
  rejected: `${prompt} bad`,
}));

type Rating = Partial<ApiParsedInput<'submitRating'>> & { annotatorId: number; pairId: number };

async function rate(rating: Rating) {
  // aOnLeft: candidate a (2k - 1 for pair k) is always on the left.
  return api.submitRating({
    leftCandidateId: rating.pairId * 2 - 1,
    choice: 'left',
    strength: null,
    note: null,
    tags: [],
    qualityCheck: false,
    timeSpentMs: 1000,
    ...rating,
  });
}

beforeEach(async () => {
  dir = makeTempDir('dpo-datasets-');
  workbench = openWorkbench({ dataDir: dir, transport: 'http', aOnLeft: () => true });
  api = workbench.services;
  const content = ROWS.map((row) => JSON.stringify(row)).join('\n');
  await api.importPairs({ fileName: 'rows.jsonl', content });
  ana = (await api.createAnnotator({ name: 'ana' })).id;
  bo = (await api.createAnnotator({ name: 'bo' })).id;
  await rate({ annotatorId: ME, pairId: 1, strength: 3 });
  await rate({ annotatorId: ana, pairId: 1, strength: 1 });
  await rate({ annotatorId: bo, pairId: 1, choice: 'right' });
  await rate({ annotatorId: ME, pairId: 2, choice: 'right' });
  await rate({ annotatorId: ana, pairId: 2 });
  await rate({ annotatorId: ME, pairId: 3, choice: 'tie' });
  await rate({ annotatorId: ana, pairId: 3, choice: 'tie' });
  await rate({ annotatorId: ME, pairId: 4, choice: 'skip' });
  await rate({ annotatorId: ana, pairId: 4, tags: ['safer'] });
});

afterEach(() => {
  workbench.close();
  removeDir(dir);
});

const create = (name: string, input: Partial<ApiParsedInput<'createDataset'>> = {}) =>
  api.createDataset({ name, description: null, filters: {}, evalFraction: 0, splitSeed: 0, ...input });

describe('datasets from ratings', () => {
  it('takes the majority per pair, weights it by strength, and counts what it leaves out', async () => {
    const dataset = await create('all');
    expect(dataset.stats).toMatchObject({
      pairs: 2,
      train: 2,
      eval: 0,
      fromRatings: 2,
      comparisons: 9,
      choices: { a: 4, b: 2, tie: 2, both_bad: 0, skip: 1 },
      dropped: { noPreference: 1, conflicts: 1, lowAgreement: 0, duplicates: 0 },
      perAnnotator: [
        { annotatorId: ME, name: 'me', comparisons: 4 },
        { annotatorId: ana, name: 'ana', comparisons: 4 },
        { annotatorId: bo, name: 'bo', comparisons: 1 },
      ],
    });
    expect(dataset.stats.tieRate).toBeCloseTo(2 / 9, 12);
    expect(dataset.stats.skipRate).toBeCloseTo(1 / 9, 12);
    const preview = await api.previewDataset({ datasetId: dataset.id, split: null, offset: 0, limit: 10 });
    expect(
      preview.rows.map(({ pairId, chosen, rejected, weight }) => ({ pairId, chosen, rejected, weight })),
    ).toEqual([
      // strong (1.0) and slight (0.5) agree on a; bo's b is outvoted.
      { pairId: 1, chosen: 'P1 good answer', rejected: 'P1 bad', weight: 0.75 },
      // No strength counts as clear (0.75); the skip is no vote.
      { pairId: 4, chosen: 'P4 good answer', rejected: 'P4 bad', weight: 0.75 },
    ]);
    expect(dataset.stats.lengths.characters.chosen).toEqual({ mean: 14, median: 14, max: 14 });
    expect(dataset.stats.lengths.whitespaceTokens.chosen).toEqual({ mean: 3, median: 3, max: 3 });
  });

  it('filters by annotator, tag, date, agreement, and adds unrated imported pairs on request', async () => {
    const mine = await create('mine', { filters: { annotatorIds: [ME] } });
    const rows = (await api.previewDataset({ datasetId: mine.id, split: null, offset: 0, limit: 10 })).rows;
    expect(rows.map((row) => [row.pairId, row.chosen, row.weight])).toEqual([
      [1, 'P1 good answer', 1],
      [2, 'P2 bad', 0.75],
    ]);
    expect((await create('tagged', { filters: { tags: ['safer'] } })).stats).toMatchObject({
      pairs: 1,
      comparisons: 1,
    });
    expect((await create('future', { filters: { from: '2999-01-01' } })).stats.comparisons).toBe(0);
    expect(
      (await create('until-today', { filters: { to: new Date().toISOString().slice(0, 10) } })).stats
        .comparisons,
    ).toBe(9);
    expect((await create('agreed', { filters: { minAgreement: 0.7 } })).stats).toMatchObject({
      pairs: 1,
      dropped: { lowAgreement: 1 },
    });
    const withImported = await create('with-imported', { filters: { includeImported: true } });
    expect(withImported.stats).toMatchObject({ pairs: 3, fromRatings: 2, fromImport: 1 });
  });

  it('splits by prompt deterministically, and rebuilds with a new split', async () => {
    const dataset = await create('split', { evalFraction: 0.5, splitSeed: 3 });
    const again = await create('split-again', { evalFraction: 0.5, splitSeed: 3 });
    const splits = async (id: number) =>
      (await api.previewDataset({ datasetId: id, split: null, offset: 0, limit: 10 })).rows.map(
        (row) => row.split,
      );
    expect(await splits(again.id)).toEqual(await splits(dataset.id));
    const rebuilt = await api.rebuildDataset({ datasetId: dataset.id, evalFraction: 0 });
    expect(rebuilt.stats).toMatchObject({ pairs: 2, train: 2, eval: 0 });
    expect(rebuilt.evalFraction).toBe(0);
  });

  it('reports agreement over the dataset pairs: alpha and kappa per two annotators', async () => {
    const dataset = await create('agreement');
    expect(await api.getDatasetAgreement({ datasetId: dataset.id })).toEqual({
      annotators: 3,
      sharedPairs: 1,
      alpha: 0,
      pairwise: [
        { annotatorA: ME, annotatorB: ana, sharedPairs: 1, kappa: null },
        { annotatorA: ME, annotatorB: bo, sharedPairs: 1, kappa: 0 },
        { annotatorA: ana, annotatorB: bo, sharedPairs: 1, kappa: 0 },
      ],
    });
  });

  it('refuses to rebuild or delete a dataset a run has used, and keeps its rows', async () => {
    const dataset = await create('frozen');
    // A training run on the dataset, written as the trainer will (a second connection to the same file).
    const db = new Database(workbench.dbPath);
    db.prepare("INSERT INTO models (name, kind, path) VALUES ('base', 'embedded', '/m')").run();
    db.prepare('INSERT INTO runs (dataset_id, base_model_id) VALUES (?, 1)').run(dataset.id);
    db.close();
    const frozen = /^dataset "frozen" is frozen \(used by a training run since .*\) and cannot be deleted/;
    expect(() => api.deleteDataset({ datasetId: dataset.id })).toThrow(frozen);
    await expect(api.rebuildDataset({ datasetId: dataset.id, evalFraction: 0.2 })).rejects.toThrow(
      'cannot be rebuilt',
    );
    expect((await api.getDataset({ datasetId: dataset.id })).stats.pairs).toBe(2);
    const other = await create('other');
    expect(await api.deleteDataset({ datasetId: other.id })).toEqual({ deleted: other.id });
    expect((await api.listDatasets({})).map((d) => d.name)).toEqual(['frozen']);
  });

  it('derives the stats from the rows of a dataset written without them', async () => {
    const db = new Database(workbench.dbPath);
    db.prepare("INSERT INTO datasets (name) VALUES ('raw')").run();
    db.prepare(
      "INSERT INTO dataset_pairs (dataset_id, pair_id, chosen_candidate_id, rejected_candidate_id, split) VALUES (1, 5, 9, 10, 'eval')",
    ).run();
    db.close();
    expect((await api.getDataset({ datasetId: 1 })).stats).toMatchObject({
      pairs: 1,
      train: 0,
      eval: 1,
      fromImport: 1,
      comparisons: 0,
      lengths: { characters: { prompt: { mean: 2, median: 2, max: 2 } } },
    });
  });

  it('plans the split create() makes, per annotator, with rated pairs in training', async () => {
    const settings = { filters: { includeImported: true }, evalFraction: 0.5, splitSeed: 0 };
    const plan = await api.planDatasetSplit(settings);
    const made = await api.createDataset({ name: 'planned', description: null, ...settings });
    expect(plan).toMatchObject({ pairs: made.stats.pairs, train: made.stats.train, eval: made.stats.eval });
    expect(plan.train + plan.eval).toBe(plan.pairs);
    expect(plan.perAnnotator.reduce((sum, entry) => sum + entry.train, 0)).toBeGreaterThan(0);
    for (const entry of plan.perAnnotator) {
      expect(made.stats.perAnnotator.find((m) => m.annotatorId === entry.annotatorId)).toMatchObject({
        train: entry.train,
        eval: entry.eval,
      });
    }
    expect(plan.perAnnotator.map((entry) => entry.annotatorId)).toEqual([ME, ana, bo]);
  });
});
