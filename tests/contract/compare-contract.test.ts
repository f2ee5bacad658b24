// The Compare methods through both transports, generating for real with the llama fixture (a base and a
// random-adapter "tuned" version): blind until the reveal, votes, the win rate in the history, refusals,
// and a run's reward margins.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../src-shared/api';
import type { Comparison } from '../../src-shared/compare-schemas';
import {
  registerCompareModels,
  type CompareModels,
} from '../../src-main/services/compare/compare-test-support';
import { openWorkbench, type Workbench } from '../../src-main/services/open-workbench';
import { rejection, TRANSPORTS, type TestTransport } from './transports';

async function untilGenerated(api: ApiClient, comparisonId: number): Promise<Comparison> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await api.getComparison({ comparisonId });
    if (found.status !== 'generating') return found;
    if (Date.now() > deadline) throw new Error(`comparison ${comparisonId} still generating after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(TRANSPORTS)('compare API over %s', (_name, makeTransport) => {
  let dataDir: string;
  let workbench: Workbench;
  let transport: TestTransport;
  let models: CompareModels;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-compare-api-'));
    workbench = openWorkbench({ dataDir, transport: 'http' });
    const db = new Database(workbench.dbPath);
    try {
      models = await registerCompareModels(db);
    } finally {
      db.close();
    }
    transport = await makeTransport(workbench);
  });

  afterEach(async () => {
    await transport.close();
    workbench.close();
    models.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const texts = ['Hi?', 'Name a color.', 'Count.'];

  it('generates both sides with one seed, stays blind, takes votes and reveals the win rate', async () => {
    const api = transport.client;
    const created = await api.createComparison({
      modelAId: models.baseId,
      modelBId: models.tunedId,
      prompts: { kind: 'texts', texts },
      seed: 5,
      maxNewTokens: 6,
    });
    expect(created).toMatchObject({ status: 'generating', blind: true, items: 3, voted: 0, models: null });
    const ready = await untilGenerated(api, created.id);
    expect(ready.status).toBe('voting');
    const blindJson = JSON.stringify([ready, await api.listComparisons({})]);
    expect([models.baseName, models.tunedName].filter((name) => blindJson.includes(name))).toEqual([]);
    expect(ready.itemList.map((i) => i.leftModel)).toEqual([null, null, null]);

    expect(await api.voteComparison({ comparisonId: ready.id, position: 0, vote: 'left' })).toEqual({
      items: 3,
      voted: 1,
    });
    await api.voteComparison({ comparisonId: ready.id, position: 1, vote: 'tie' });
    await api.voteComparison({ comparisonId: ready.id, position: 2, vote: 'right' });
    const revealed = await api.revealComparison({ comparisonId: ready.id });
    expect(revealed.models).toEqual({
      a: { id: models.baseId, name: models.baseName },
      b: { id: models.tunedId, name: models.tunedName },
    });
    const bWins = revealed.itemList.filter(
      (i) => (i.vote === 'left' && i.leftModel === 'b') || (i.vote === 'right' && i.leftModel === 'a'),
    ).length;
    expect(revealed.result).toMatchObject({
      wins: bWins,
      losses: 2 - bWins,
      ties: 1,
      n: 3,
      rate: (bWins + 0.5) / 3,
    });

    expect((await api.listComparisons({})).map((c) => [c.id, c.status])).toEqual([[ready.id, 'revealed']]);
  });

  it('refuses bad votes and unknown comparisons with the field named', async () => {
    const bad = await rejection(
      transport.raw('voteComparison', { comparisonId: 1, position: 0, vote: 'skip' }),
    );
    expect(bad.code).toBe('invalid_input');
    expect(bad.message).toMatch(/^voteComparison: vote: Invalid option/);
    const missing = await rejection(transport.client.getComparison({ comparisonId: 77 }));
    expect([missing.code, missing.message]).toEqual(['not_found', 'comparisonId: no comparison with id 77']);
    const noResume = await rejection(transport.client.resumeComparison({ comparisonId: 77 }));
    expect(noResume.code).toBe('not_found');
    const noModel = await rejection(
      transport.client.createComparison({
        modelAId: models.baseId,
        modelBId: 99,
        prompts: { kind: 'texts', texts },
      }),
    );
    expect(noModel.message).toBe('modelBId: no model with id 99');
  });

  it("computes a run's reward margins: 0 before (the parent is the reference), and after with the adapter", async () => {
    const api = transport.client;
    const rows = ['Hi?', 'Bye?', 'Why?', 'How?'].map((prompt, i) =>
      JSON.stringify({ prompt, chosen: `Good ${i}.`, rejected: `bad ${i}` }),
    );
    const imported = await api.importFile({
      fileName: 'p.jsonl',
      content: rows.join('\n'),
      dataset: 'margins',
    });
    const db = new Database(workbench.dbPath);
    try {
      db.prepare(
        `INSERT INTO runs (id, dataset_id, base_model_id, output_model_id, config_json, status)
         VALUES (1, ?, ?, ?, '{"beta":0.25}', 'completed')`,
      ).run(imported.dataset?.id, models.baseId, models.tunedId);
    } finally {
      db.close();
    }
    const margins = await api.getRewardMargins({ runId: 1 });
    expect(margins).toMatchObject({
      runId: 1,
      beta: 0.25,
      tuned: { id: models.tunedId, name: models.tunedName },
      parent: { id: models.baseId, name: models.baseName },
    });
    expect(margins.rows.map((r) => [r.prompt, r.before])).toEqual([
      ['Hi?', 0],
      ['Bye?', 0],
      ['Why?', 0],
      ['How?', 0],
    ]);
    expect(margins.rows.every((r) => Number.isFinite(r.after) && r.after !== 0)).toBe(true);
    expect(margins.stillWrong).toBe(margins.rows.filter((r) => r.after <= 0).length);
    expect(await api.getRewardMargins({ runId: 1 })).toEqual(margins);
    const noRun = await rejection(api.getRewardMargins({ runId: 2 }));
    expect([noRun.code, noRun.message]).toEqual(['not_found', 'runId: no run with id 2']);
  });
});
