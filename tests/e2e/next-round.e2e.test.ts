// End to end in Chromium for "Next round" (on-policy / iterative DPO): the Models view shows a tuned
// version as round 1 of its lineage and offers "Next round"; the Generate view samples that version on its
// dataset's training prompts plus a new one (a held-out prompt typed in is left out), the candidates go to
// rating as any run's, and the Train link opens the Train view set to continue from that version, round 2,
// with the reference chosen under Advanced settings (default: the version itself).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerCompareModels,
  type CompareModels,
} from '../../src-main/services/compare/compare-test-support';
import { EventBus } from '../../src-main/services/jobs/event-bus';
import { createDataServices } from '../../src-main/services/workbench-services';
import { openDatabase } from '../../src-main/store/open-database';
import { makeTempDir, removeDir } from '../../src-main/store/test-support';
import { ARTIFACTS_DIR, callApi, launchChromium, startServer, type RunningServer } from './harness';

const PROMPTS = ['Hi?', 'Bye?', 'Why?', 'How?', 'Who?', 'When?', 'Where?', 'What?'];

let workDir: string;
let models: CompareModels;
let server: RunningServer;
let browser: Browser;
let page: Page;
let split: { train: string[]; eval: string[] };

beforeAll(async () => {
  workDir = makeTempDir('dpo-e2e-round-');
  const dataDir = path.join(workDir, 'data');
  mkdirSync(dataDir);
  const { db } = openDatabase(dataDir);
  try {
    models = await registerCompareModels(db);
    // Round 1: the tuned version was trained here on a dataset with a held-out quarter.
    const rows = PROMPTS.map((prompt, i) => JSON.stringify({ prompt, chosen: `Yes ${i}.`, rejected: 'no' }));
    const imported = await createDataServices(db, new EventBus()).imports.importFile({
      fileName: 'pairs.jsonl',
      bytes: new TextEncoder().encode(rows.join('\n')),
      as: 'pairs',
      dataset: 'round 1 pairs',
      evalFraction: 0.25,
    });
    db.prepare(
      `INSERT INTO runs (dataset_id, base_model_id, output_model_id, config_json, status)
       VALUES (?, ?, ?, '{}', 'completed')`,
    ).run(imported.dataset?.id, models.baseId, models.tunedId);
    const sides = db
      .prepare<[number], { text: string; split: 'train' | 'eval' }>(
        `SELECT DISTINCT pr.text, dp.split FROM dataset_pairs dp JOIN pairs p ON p.id = dp.pair_id
           JOIN prompts pr ON pr.id = p.prompt_id WHERE dp.dataset_id = ? ORDER BY pr.id`,
      )
      .all(imported.dataset!.id);
    split = {
      train: sides.filter((s) => s.split === 'train').map((s) => s.text),
      eval: sides.filter((s) => s.split === 'eval').map((s) => s.text),
    };
  } finally {
    db.close();
  }
  server = await startServer(dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  await page.goto(`${server.url}#/models`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  models?.dispose();
  if (workDir) removeDir(workDir);
});

describe('Next round', () => {
  it('samples the tuned version on its training prompts and a new one, and sends the candidates to rating', async () => {
    expect(split.eval.length).toBeGreaterThan(0);
    const row = page.locator(`[data-testid=model-row][data-model-id="${models.tunedId}"]`);
    expect(await row.getByTestId('model-round').innerText()).toBe('· round 1');
    expect(await page.getByTestId('model-next-round').count()).toBe(1); // the base has none
    await row.getByTestId('model-next-round').click();

    const panel = page.getByTestId('round-panel');
    await panel.waitFor();
    expect(page.url()).toContain(`#/generate?round=${models.tunedId}`);
    expect(await panel.getAttribute('data-round')).toBe('2');
    expect(await page.getByTestId('round-lineage').innerText()).toContain(
      `${models.baseName} → ${models.tunedName} (round 1)`,
    );
    await expect.poll(() => page.getByTestId('generate-model').inputValue()).toBe(String(models.tunedId));
    await page.getByTestId('round-source-both').check();
    await page.getByTestId('round-new-prompts').fill(`Name a color.\n${split.eval[0]}`);
    await page.getByTestId('round-use').click();
    const count = page.getByTestId('prompt-count');
    await expect.poll(() => count.getAttribute('data-count')).toBe(String(split.train.length + 1));
    expect(await page.getByTestId('generate-message').innerText()).toContain('1 held-out prompt(s) left out');
    const shown = await page.locator('[data-testid=prompt-block] h3').allTextContents();
    expect(shown).toEqual([...split.train, 'Name a color.']);

    await page.getByTestId('sampling-n').fill('2');
    await page.getByTestId('sampling-max-new-tokens').fill('6');
    await page.getByTestId('generate-run').click();
    await page
      .locator('[data-testid=generation-progress][data-status=completed]')
      .waitFor({ timeout: 60_000 });
    type GenJob = { payload: { modelId: number; promptIds: number[] } };
    const [job] = await callApi<GenJob[]>(server, 'listJobs', { kind: 'generate', limit: 1 });
    expect(job?.payload.modelId).toBe(models.tunedId);
    expect(job?.payload.promptIds).toHaveLength(split.train.length + 1);

    await page.getByTestId('send-submit').click();
    await expect
      .poll(() => page.getByTestId('generate-message').innerText())
      .toMatch(/^\d+ pair\(s\) sent to rating/);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'next-round-generate.png'), fullPage: true });
  });

  it('opens the Train view set to continue from the version, with the reference under Advanced settings', async () => {
    // The new round's ratings as a dataset (rated by a person in the app; imported here).
    const rows = ['Hi?', 'Name a color.'].map((prompt) =>
      JSON.stringify({ prompt, chosen: 'ok', rejected: 'bad' }),
    );
    const imported = await callApi<{ dataset: { id: number } }>(server, 'importFile', {
      fileName: 'round2.jsonl',
      content: rows.join('\n'),
      as: 'pairs',
      dataset: 'round 2 pairs',
    });
    await page.getByTestId('round-train-link').click();
    const round = page.getByTestId('train-round');
    await round.waitFor();
    expect(page.url()).toContain(`#/train?from=${models.tunedId}`);
    expect(await page.getByTestId('train-model').inputValue()).toBe(String(models.tunedId));
    expect(await page.getByTestId('train-dataset').inputValue()).toBe(String(imported.dataset.id));
    expect(await round.getAttribute('data-round')).toBe('2');
    expect(await round.getAttribute('data-reference')).toBe('init');
    expect(await round.innerText()).toContain(`training continues ${models.tunedName}'s adapter`);
    await page.getByTestId('train-advanced-toggle').click();
    await page.getByTestId('setting-reference').selectOption('base');
    await expect.poll(() => round.getAttribute('data-reference')).toBe('base');
    expect(await round.innerText()).toContain(`the base model ${models.baseName}`);
  });
});
