// End to end in Chromium for the Compare view: a base version and a random-adapter "tuned" version answer
// typed prompts; in blind mode the page never shows either model's name before the reveal (checked after
// every step), votes go in by keyboard, and the reveal shows the win rate with its interval and who was where.
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
import {
  ARTIFACTS_DIR,
  callApi,
  docScreenshot,
  launchChromium,
  startServer,
  type RunningServer,
} from './harness';

let workDir: string;
let models: CompareModels;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  workDir = makeTempDir('dpo-e2e-compare-');
  const dataDir = path.join(workDir, 'data');
  mkdirSync(dataDir);
  const { db } = openDatabase(dataDir);
  try {
    models = await registerCompareModels(db);
    // A finished training run of the tuned version on a small dataset, for the reward-margins table.
    const rows = ['Hi?', 'Bye?', 'Why?', 'How?', 'Who?'].map((prompt, i) =>
      JSON.stringify({ prompt, chosen: `Yes ${i}.`, rejected: 'no' }),
    );
    const imported = await createDataServices(db, new EventBus()).imports.importFile({
      fileName: 'pairs.jsonl',
      bytes: new TextEncoder().encode(rows.join('\n')),
      as: 'pairs',
      dataset: 'e2e pairs',
    });
    db.prepare(
      `INSERT INTO runs (dataset_id, base_model_id, output_model_id, config_json, status)
       VALUES (?, ?, ?, '{"beta":0.1}', 'completed')`,
    ).run(imported.dataset?.id, models.baseId, models.tunedId);
  } finally {
    db.close();
  }
  server = await startServer(dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  await page.goto(`${server.url}#/compare`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  models?.dispose();
  if (workDir) removeDir(workDir);
});

/** The names of the two versions that appear anywhere in the page's text. */
async function namesShown(): Promise<string[]> {
  const text = await page.locator('body').innerText();
  return [models.baseName, models.tunedName].filter((name) => text.includes(name));
}

describe('Compare view', () => {
  it('runs a blind comparison by keyboard without showing an identity before the reveal', async () => {
    await page.getByTestId('compare-setup').waitFor();
    // The setup form names the versions (that is how they are picked); the session must not.
    await expect.poll(() => page.getByTestId('compare-model-b').inputValue()).toBe(String(models.tunedId));
    expect(await page.getByTestId('compare-model-a').inputValue()).toBe(String(models.baseId));
    expect(await page.getByTestId('compare-blind').isChecked()).toBe(true);
    // Sampling starts from model A's generation_config.json (the fixture's: 0.8, top-p 0.95, top-k 20).
    expect(
      await Promise.all(
        ['compare-temperature', 'compare-top-p', 'compare-top-k'].map((id) =>
          page.getByTestId(id).inputValue(),
        ),
      ),
    ).toEqual(['0.8', '0.95', '20']);
    await page.getByTestId('compare-source-texts').check();
    await page.getByTestId('compare-texts').fill('Hi?\nName a color.\nCount.\nBye?');
    await page.getByTestId('compare-max-tokens').fill('6');
    await page.getByTestId('compare-start').click();

    const session = page.getByTestId('compare-session');
    await session.waitFor();
    expect(await namesShown()).toEqual([]);
    await expect.poll(() => session.getAttribute('data-status'), { timeout: 60_000 }).toBe('voting');
    expect(await namesShown()).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'compare-blind-voting.png') });

    const item = page.getByTestId('compare-item');
    for (const [key, position] of [
      ['1', '0'],
      ['t', '1'],
      ['2', '2'],
      ['x', '3'],
    ] as const) {
      await expect.poll(() => item.getAttribute('data-position')).toBe(position);
      expect(await page.getByTestId('compare-left').innerText()).not.toBe('');
      await page.keyboard.press(key);
      await expect
        .poll(() => page.getByTestId('compare-progress').innerText())
        .toBe(`${Number(position) + 1} of 4 voted`);
      expect(await namesShown()).toEqual([]);
    }

    await page.getByTestId('compare-reveal').click();
    const result = page.getByTestId('compare-result');
    await result.waitFor();
    // The same check now finds both names: it is able to fail.
    expect(await namesShown()).toEqual([models.baseName, models.tunedName]);
    expect(await page.getByTestId('result-counts').innerText()).toContain('tie 1, both bad 1; n = 4');

    // Item 0 was voted left and item 2 right: B won each where B was on that side.
    const labels = page.locator('[data-testid=compare-item] h2');
    const leftIsB = async (position: number) => (await labels.nth(position * 2).innerText()).startsWith('B:');
    const bWins = Number(await leftIsB(0)) + Number(!(await leftIsB(2)));
    const rate = ((bWins + 1) / 4) * 100;
    expect(await page.getByTestId('result-rate').innerText()).toBe(`${rate.toFixed(1)}%`);
    expect(await page.getByTestId('result-interval').innerText()).toMatch(/^\(95% CI \d+\.\d% – \d+\.\d%\)$/);
    mkdirSync('docs', { recursive: true });
    await docScreenshot(page, 'compare-reveal.png');

    await page.getByTestId('compare-back').click();
    const row = page.locator('[data-testid=history-row][data-status=revealed]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.innerText()).toContain(`${models.tunedName} vs ${models.baseName}`);
  });

  it("shows a run's reward margins, before and after, and the pairs still ranked wrong", async () => {
    await expect.poll(() => page.getByTestId('margins-run').locator('option').count()).toBe(1);
    await page.getByTestId('margins-load').click();
    const summary = page.getByTestId('margins-summary');
    await summary.waitFor({ timeout: 60_000 });
    const text = await summary.innerText();
    expect(text).toContain(`Run 1 (β = 0.1): ${models.tunedName}, from ${models.baseName}.`);
    const rows = page.getByTestId('margin-row');
    expect(await rows.count()).toBe(5);
    const wrong = await page.locator('[data-testid=margin-row][data-wrong=true]').count();
    expect(text).toContain(`${wrong} of 5 pairs still ranked wrong.`);
    expect(await rows.first().locator('td').nth(5).innerText()).toBe('0.000');
    await page.getByTestId('margins-wrong-only').check();
    await expect.poll(() => rows.count()).toBe(wrong);
  });

  it('places the lineage on the reward-vs-KL frontier as a job with progress, and keeps it over a reload', async () => {
    await page.getByTestId('frontier-model').selectOption(String(models.tunedId));
    await page.getByTestId('frontier-load').click();
    const rows = page.getByTestId('frontier-row');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(2);
    expect(await page.getByTestId('frontier-point').count()).toBe(2);
    const tuned = page.locator(`[data-testid=frontier-row][data-model-id="${models.tunedId}"]`);
    const line = /\d\.\d{3} \(\d\.\d{3}–\d\.\d{3}, n=\d+\)\s+(\d+\.\d{3}) ± \d+\.\d{3}/;
    const shown = await tuned.innerText();
    expect(shown).toMatch(line);
    // The work ran as a job: sampled the 4 prompts and scored them (5 steps), and the job kept the frontier.
    type FrontierJob = {
      status: string;
      progress: number;
      total: number;
      result: { points: { kl: { kl: number } | null }[] };
    };
    const jobs = await callApi<FrontierJob[]>(server, 'listJobs', { kind: 'frontier' });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'completed', progress: 5, total: 5 });
    expect(shown).toContain(jobs[0]!.result.points[1]!.kl!.kl.toFixed(3));

    await page.reload();
    await page.getByTestId('frontier-model').selectOption(String(models.tunedId));
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    expect(await tuned.innerText()).toBe(shown);
    expect(await page.getByTestId('frontier-load').innerText()).toBe('Update frontier');
    expect(await callApi<FrontierJob[]>(server, 'listJobs', { kind: 'frontier' })).toHaveLength(1);
  });
});
