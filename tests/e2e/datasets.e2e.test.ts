// End to end in Chromium for issue 5: rate 20 pairs by keyboard alone (tie, both bad, skip, undo, a strength,
// a reason tag), build a dataset in the Datasets view, export it, re-import it in a fresh data folder, compare.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src-shared/labeling-schemas';
import type { Annotator, RatingSummary } from '../../src-shared/schemas';
import { ARTIFACTS_DIR, callApi, launchChromium, startServer, type RunningServer } from './harness';

const PAIRS = 24;
const TAG = { name: 'factual error', key: 'f' };

let workDir: string;
let first: RunningServer;
let second: RunningServer;
let browser: Browser;
let page: Page;
let annotatorId: number;
let exportedPath: string;

async function shownCount(): Promise<string> {
  const view = page.locator('[data-testid=rate-view][data-busy=false]');
  await view.waitFor();
  return (await view.getAttribute('data-shown')) ?? '';
}

/** Presses a key and waits until the view has put another pair on screen (the rating was saved first). */
async function press(key: string): Promise<void> {
  const before = await shownCount();
  await page.keyboard.press(key);
  await expect.poll(shownCount).not.toBe(before);
}

type Triple = [string, string, string];

function triples(jsonl: string): Triple[] {
  return jsonl
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const row = JSON.parse(line) as { prompt: string; chosen: string; rejected: string };
      return [row.prompt, row.chosen, row.rejected] as Triple;
    })
    .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'dpo-e2e-datasets-'));
  const rows = Array.from({ length: PAIRS }, (_, i) =>
    JSON.stringify({
      prompt: `Question ${i + 1}: what is ${i + 1} + ${i + 2}?`,
      chosen: `It is ${2 * i + 3}.`,
      rejected: `It is ${2 * i + 4}, I think.`,
    }),
  );
  writeFileSync(path.join(workDir, 'pairs.jsonl'), `${rows.join('\n')}\n`);
  first = await startServer(path.join(workDir, 'first'));
  await callApi(first, 'setRatingTags', { tags: [TAG] });
  await callApi<Annotator>(first, 'createAnnotator', { name: 'Ada' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  await page.goto(first.url);
});

afterAll(async () => {
  await browser?.close();
  await first?.stop();
  await second?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('labeling and datasets in Chromium', () => {
  it('rates 20 pairs by keyboard alone with tie, both bad, skip, undo, a strength and a tag', async () => {
    await page.getByTestId('import-input').setInputFiles(path.join(workDir, 'pairs.jsonl'));
    await page.locator('[data-testid=import-result][data-outcome=added]').waitFor();
    await page.locator(`[data-testid=tag-chip][data-key=${TAG.key}]`).waitFor();
    annotatorId = Number(await page.getByTestId('annotator-select').inputValue());

    await press('1');
    await press('t');
    await press('x');
    await press('s');
    await press('u'); // the skip comes back
    await press('2');
    await page.keyboard.press('e');
    expect(await page.getByTestId('strength-indicator').getAttribute('data-strength')).toBe('3');
    await press('a');
    await page.keyboard.press(TAG.key);
    await expect
      .poll(() => page.locator(`[data-testid=tag-chip][data-key=${TAG.key}]`).getAttribute('aria-pressed'))
      .toBe('true');
    await press('b');
    // Tags reset with each pair.
    expect(
      await page.locator(`[data-testid=tag-chip][data-key=${TAG.key}]`).getAttribute('aria-pressed'),
    ).toBe('false');
    // Quality checks (already rated pairs shown again) may come up; rating them is part of the work.
    for (let i = 0; i < 40; i += 1) {
      const live = await callApi<RatingSummary[]>(first, 'listRatings', { annotatorId, limit: 500 });
      if (live.length >= 20) break;
      await press(i % 3 === 0 ? 'b' : '1');
    }

    const live = await callApi<RatingSummary[]>(first, 'listRatings', { annotatorId, limit: 500 });
    expect(live).toHaveLength(20);
    const choices = live.map((rating) => rating.choice);
    expect(choices).toContain('tie');
    expect(choices).toContain('both_bad');
    expect(choices).not.toContain('skip'); // undone, then rated left
    expect(live.some((rating) => rating.strength === 3)).toBe(true);
    await expect.poll(() => page.getByTestId('stats-rated').textContent()).toBe('20');
    // One quality check is due per 10 ratings; the panel counts those the person has answered.
    await expect
      .poll(async () => Number(await page.getByTestId('stats-checks').textContent()))
      .toBeGreaterThan(0);

    const tagged = await callApi<Dataset>(first, 'createDataset', {
      name: 'tagged only',
      filters: { tags: [TAG.name] },
    });
    expect(tagged.stats.comparisons).toBe(1);
    await callApi(first, 'deleteDataset', { datasetId: tagged.id });
  });

  it('builds a dataset in the Datasets view and exports it', async () => {
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('datasets-view').waitFor();
    await page.getByTestId('dataset-name').fill('first twenty');
    await page.getByTestId('dataset-description').fill('The first twenty ratings');
    await page.getByTestId('dataset-include-imported').uncheck();
    await page.getByTestId('dataset-eval-fraction').fill('0.25');
    await page.getByTestId('dataset-create').click();
    await page.getByTestId('dataset-detail').waitFor();

    // 20 ratings less the tie and the both-bad one: 18 pairs with a preference.
    await expect.poll(() => page.getByTestId('stat-pairs').textContent()).toBe('18');
    const train = Number(await page.getByTestId('stat-train').textContent());
    const evalCount = Number(await page.getByTestId('stat-eval').textContent());
    expect(train + evalCount).toBe(18);
    await expect.poll(() => page.getByTestId('preview-row').count()).toBe(18);
    await page.getByTestId('preview-split').selectOption('eval');
    await expect.poll(() => page.getByTestId('preview-row').count()).toBe(evalCount);
    await expect.poll(() => page.getByTestId('agreement-alpha').count()).toBe(1);

    await page.getByTestId('export-format').selectOption('trl');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-button').click(),
    ]);
    exportedPath = path.join(workDir, download.suggestedFilename());
    await download.saveAs(exportedPath);
    expect(triples(readFileSync(exportedPath, 'utf8'))).toHaveLength(18);
    await page.getByTestId('export-result').waitFor();

    // docs/datasets-view.png comes from first-session.e2e.test.ts.
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'datasets-detail.png'), fullPage: true });
  });

  it('re-imports the export into a fresh data folder with the same pairs', async () => {
    second = await startServer(path.join(workDir, 'second'));
    await page.goto(`${second.url}#/datasets`);
    await page.getByTestId('datasets-empty').waitFor();
    await page.getByTestId('file-import-dataset').fill('reimported');
    await page.getByTestId('file-import-input').setInputFiles(exportedPath);
    await expect.poll(() => page.getByTestId('file-import-result').textContent()).toContain('18 pairs');

    const datasets = await callApi<Dataset[]>(second, 'listDatasets', {});
    const reimported = datasets.find((dataset) => dataset.name === 'reimported');
    expect(reimported?.stats.pairs).toBe(18);
    const again = await callApi<{ content: string }>(second, 'exportDataset', {
      datasetId: reimported?.id,
      format: 'trl',
    });
    expect(triples(again.content)).toEqual(triples(readFileSync(exportedPath, 'utf8')));
  });
});
