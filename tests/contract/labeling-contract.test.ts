// The labeling and data methods through both transports: file import (text and base64 Parquet) into a
// dataset, preview, export, agreement, reason tags, quality checks with self-consistency, rank mode.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWorkbench, type Workbench } from '../../src-main/services/open-workbench';
import { rejection, TRANSPORTS, type TestTransport } from './transports';

const jsonl = (rows: object[]) => rows.map((row) => JSON.stringify(row)).join('\n');
const TEN = jsonl(
  Array.from({ length: 10 }, (_, i) => ({ prompt: `Q${i}`, chosen: `good ${i}`, rejected: `bad ${i}` })),
);

describe.each(TRANSPORTS)('labeling API over %s', (_name, makeTransport) => {
  let dataDir: string;
  let workbench: Workbench;
  let transport: TestTransport;
  const ME = 1;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-labeling-'));
    workbench = openWorkbench({ dataDir, transport: 'http', aOnLeft: () => true });
    transport = await makeTransport(workbench);
  });

  afterEach(async () => {
    await transport.close();
    workbench.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports a file into a dataset, previews and exports it, and re-imports the Parquet export', async () => {
    const api = transport.client;
    const imported = await api.importFile({ fileName: 'ten.jsonl', content: TEN, dataset: 'ten' });
    expect(imported).toEqual({
      fileName: 'ten.jsonl',
      format: 'trl-standard',
      kind: 'pairs',
      rows: 10,
      pairsAdded: 10,
      promptsAdded: 0,
      duplicatesSkipped: 0,
      identicalSkipped: 0,
      dataset: { id: 1, name: 'ten', pairs: 10, train: 10, eval: 0 },
    });
    const rebuilt = await api.rebuildDataset({ datasetId: 1, evalFraction: 0.3, splitSeed: 4 });
    // An eval share of 0.3 of 10 one-pair prompts: 3 held out.
    expect([rebuilt.stats.train, rebuilt.stats.eval]).toEqual([7, 3]);
    const preview = await api.previewDataset({ datasetId: 1, limit: 2 });
    expect(preview.total).toBe(10);
    expect(preview.rows[0]).toMatchObject({
      prompt: 'Q0',
      chosen: 'good 0',
      rejected: 'bad 0',
      weight: 1,
      promptMessages: null,
    });
    const trl = await api.exportDataset({ datasetId: 1, format: 'trl', split: 'eval' });
    expect(trl).toMatchObject({ fileName: 'ten-eval.jsonl', encoding: 'utf8', rows: rebuilt.stats.eval });
    expect(trl.content.trimEnd().split('\n')).toHaveLength(rebuilt.stats.eval);
    const parquet = await api.exportDataset({ datasetId: 1, format: 'parquet' });
    expect(parquet).toMatchObject({ fileName: 'ten.parquet', encoding: 'base64', rows: 10 });
    const again = await api.importFile({
      fileName: 'ten.parquet',
      content: parquet.content,
      encoding: 'base64',
      dataset: 'copy',
    });
    expect(again).toMatchObject({
      format: 'trl-standard',
      rows: 10,
      pairsAdded: 0,
      duplicatesSkipped: 10,
      dataset: { id: 2 },
    });
    expect((await api.listDatasets({})).map((d) => [d.name, d.stats.pairs])).toEqual([
      ['ten', 10],
      ['copy', 10],
    ]);
    expect(await api.deleteDataset({ datasetId: 2 })).toEqual({ deleted: 2 });
    const taken = await rejection(api.importFile({ fileName: 'ten.jsonl', content: TEN, dataset: 'ten' }));
    expect([taken.code, taken.message]).toEqual(['conflict', 'a dataset named "ten" already exists']);
  });

  it('imports a prompt list and refuses a bad file naming it, its line and field', async () => {
    const api = transport.client;
    expect(await api.importFile({ fileName: 'prompts.txt', content: 'one\ntwo\none\n' })).toMatchObject({
      kind: 'prompts',
      rows: 3,
      promptsAdded: 2,
      duplicatesSkipped: 1,
    });
    const bad = await rejection(
      api.importFile({ fileName: 'bad.csv', content: 'prompt,chosen,rejected\np,c,\n' }),
    );
    expect([bad.code, bad.message]).toEqual(['bad_file', 'bad.csv line 2: field "rejected" is empty']);
  });

  it('stores reason tags with a rating, filters a dataset by them, and refuses unknown tags and taken keys', async () => {
    const api = transport.client;
    expect((await api.getRatingTags({})).map((tag) => tag.name)).toEqual([
      'more accurate',
      'more helpful',
      'safer',
      'better format',
      'less verbose',
    ]);
    const taken = await rejection(api.setRatingTags({ tags: [{ name: 'tie-ish', key: 'T' }] }));
    expect(taken.code).toBe('invalid_input');
    expect(taken.message).toContain("must not be one of the Rate view's keys");
    expect(await api.setRatingTags({ tags: [{ name: 'concise', key: 'C' }] })).toEqual([
      { name: 'concise', key: 'c' },
    ]);
    await api.importPairs({ fileName: 'ten.jsonl', content: TEN });
    const rating = {
      annotatorId: ME,
      leftCandidateId: 1,
      pairId: 1,
      choice: 'left' as const,
      timeSpentMs: 10,
    };
    const unknown = await rejection(api.submitRating({ ...rating, tags: ['vibes'] }));
    expect([unknown.code, unknown.message]).toEqual(['invalid_input', 'tags: unknown tag "vibes"']);
    await api.submitRating({ ...rating, tags: ['concise'] });
    await api.submitRating({ ...rating, pairId: 2, leftCandidateId: 3 });
    const tagged = await api.createDataset({
      name: 'concise',
      filters: { tags: ['concise'] },
      evalFraction: 0,
    });
    expect(tagged.stats).toMatchObject({ pairs: 1, comparisons: 1 });
  });

  it('re-shows a rated pair with sides swapped after ten ratings and reports self-consistency and speed', async () => {
    const api = transport.client;
    await api.importPairs({ fileName: 'ten.jsonl', content: TEN });
    for (let i = 0; i < 10; i += 1) {
      const pair = (await api.nextPair({ annotatorId: ME, qualityChecks: true }))!;
      expect(pair.qualityCheck).toBe(false);
      await api.submitRating({
        annotatorId: ME,
        pairId: pair.pairId,
        leftCandidateId: pair.left.candidateId,
        choice: 'left',
        timeSpentMs: (i + 1) * 100,
      });
    }
    const check = (await api.nextPair({ annotatorId: ME, qualityChecks: true }))!;
    // The oldest rating (pair 1, candidate a on the left) comes back with candidate a on the right.
    expect(check).toMatchObject({
      pairId: 1,
      qualityCheck: true,
      left: { text: 'bad 0' },
      right: { text: 'good 0' },
    });
    expect(await api.nextPair({ annotatorId: ME })).toBeNull();
    await api.submitRating({
      annotatorId: ME,
      pairId: 1,
      leftCandidateId: check.left.candidateId,
      choice: 'right',
      qualityCheck: true,
      timeSpentMs: 50,
    });
    expect(await api.nextPair({ annotatorId: ME, qualityChecks: true })).toBeNull();
    // Undo takes back the check itself, shown as it was; the live ratings stay.
    const undone = await api.undoRating({ annotatorId: ME });
    expect(undone).toMatchObject({ undonePairId: 1, pair: { qualityCheck: true, left: { text: 'bad 0' } } });
    expect(undone.progress.rated).toBe(10);
    expect((await api.getAnnotatorStats({}))[0]?.qualityChecks).toBe(0);
    await api.submitRating({
      annotatorId: ME,
      pairId: 1,
      leftCandidateId: check.left.candidateId,
      choice: 'right',
      qualityCheck: true,
      timeSpentMs: 50,
    });
    const [stats] = await api.getAnnotatorStats({});
    expect(stats).toEqual({
      annotatorId: ME,
      name: 'me',
      rated: 10,
      remaining: 0,
      total: 10,
      medianTimeMs: 550,
      qualityChecks: 1,
      consistentChecks: 1,
      selfConsistency: 1,
    });
  });

  it('turns a ranking of a prompt into pairs and ratings, and pairs candidates by strategy', async () => {
    const api = transport.client;
    const rows = jsonl([
      { prompt: 'Rank', chosen: 'A', rejected: 'B' },
      { prompt: 'Rank', chosen: 'B', rejected: 'C' },
    ]);
    await api.importPairs({ fileName: 'rank.jsonl', content: rows });
    expect(await api.listRankablePrompts({})).toEqual([{ promptId: 1, prompt: 'Rank', candidates: 3 }]);
    expect(await api.listRankablePrompts({ minCandidates: 4 })).toEqual([]);
    const { candidates } = await api.listCandidates({ promptId: 1 });
    expect(candidates.map((c) => c.text)).toEqual(['A', 'B', 'C']);
    const [a, b, c] = candidates.map((candidate) => candidate.id);
    const ranked = await api.submitRanking({
      annotatorId: ME,
      promptId: 1,
      candidateIds: [c!, a!, b!],
      timeSpentMs: 3000,
    });
    expect(ranked).toEqual({ pairsAdded: 1, comparisonsAdded: 3, alreadyRated: 0 });
    const ratings = await api.listRatings({ annotatorId: ME });
    // Pair 1 is (A, B): A ranked above B, so a. Pair 2 is (B, C): C above B, so b. Pair 3 is (C, A): a.
    expect(ratings.map((r) => [r.pairId, r.choice, r.timeSpentMs]).sort()).toEqual([
      [1, 'a', 1000],
      [2, 'b', 1000],
      [3, 'a', 1000],
    ]);
    expect(
      await api.submitRanking({ annotatorId: ME, promptId: 1, candidateIds: [a!, b!], timeSpentMs: 1 }),
    ).toEqual({
      pairsAdded: 0,
      comparisonsAdded: 0,
      alreadyRated: 1,
    });
    expect(await api.createPairs({ promptId: 1, strategy: 'all_pairs' })).toEqual({
      pairsAdded: 0,
      duplicatesSkipped: 3,
      candidatesDropped: [],
    });
    const stranger = await rejection(
      api.submitRanking({ annotatorId: ME, promptId: 1, candidateIds: [a!, 99], timeSpentMs: 1 }),
    );
    expect(stranger.message).toBe('candidateIds: 99 is not a candidate of prompt 1');
  });
});
