// End to end in Chromium for issue 6: a dataset of a few pairs and a tiny model, the one-click settings
// (device line, the reasons, the advanced panel), Train, the charts filling in while it runs, the run
// completing, and the tuned version appearing among the models with the base as its parent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../src-shared/api-models';
import type { FileImportResult } from '../../src-shared/schemas';
import { writeCheckpointFixture } from '../../src-main/generate/checkpoint-fixture';
import { ARTIFACTS_DIR, callApi, launchChromium, startServer, type RunningServer } from './harness';

const STEPS = 8;
let workDir: string;
let modelDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let baseId: number;
let datasetId: number;

const apiCall = <T>(method: string, input: unknown): Promise<T> => callApi<T>(server, method, input);

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'dpo-e2e-train-'));
  modelDir = writeCheckpointFixture();
  server = await startServer(path.join(workDir, 'data'));
  baseId = (await apiCall<ModelVersion>('importModel', { path: modelDir, name: 'tiny fixture' })).id;
  const rows = Array.from({ length: 8 }, (_, i) =>
    JSON.stringify({ prompt: `What is ${i} + 2?`, chosen: `${i + 2}.`, rejected: `Maybe ${i * 7 + 1}?` }),
  );
  const imported = await apiCall<FileImportResult>('importFile', {
    fileName: 'few.jsonl',
    content: rows.join('\n'),
    dataset: 'few pairs',
  });
  datasetId = imported.dataset?.id as number;
  await apiCall('rebuildDataset', { datasetId, evalFraction: 0.25, splitSeed: 1 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

const points = (chart: string) => async () =>
  Number(await page.getByTestId(`chart-${chart}`).getAttribute('data-points'));

describe('Train view', () => {
  it('trains with one click, draws the curves live, and the tuned version appears', async () => {
    await page.goto(`${server.url}#/train`);
    await page.getByTestId('train-view').waitFor();
    await page.getByTestId('train-dataset').selectOption(String(datasetId));
    await page.getByTestId('train-model').selectOption(String(baseId));
    await expect.poll(() => page.getByTestId('train-device').textContent()).toMatch(/^Device: (CUDA|CPU)/);
    await expect.poll(() => page.getByTestId('train-notes').textContent()).toMatch(/max length \d+/);

    // The advanced panel: every setting with its explanation; a short run for the test.
    await page.getByTestId('train-advanced-toggle').click();
    expect(await page.locator('[data-testid=train-advanced] .help').count()).toBe(28); // 23 + reference, method, two KTO weights, memory budget
    // The reference choice (for a run from a trained version): TRL's, the starting adapter, by default.
    expect(await page.getByTestId('setting-reference').inputValue()).toBe('init');
    expect(await page.locator('[data-testid=setting-reference] option').allTextContents()).toEqual([
      'init',
      'base',
    ]);
    expect(await page.getByTestId('setting-method').inputValue()).toBe('dpo');
    await page.getByTestId('setting-maxSteps').fill(String(STEPS));
    await page.getByTestId('setting-maxSteps').dispatchEvent('change');
    await page.getByTestId('setting-evalEvery').fill('2');
    await page.getByTestId('setting-evalEvery').dispatchEvent('change');
    await page.getByTestId('setting-lr').fill('0.01');
    await page.getByTestId('setting-lr').dispatchEvent('change');
    await page.getByTestId('setting-device').selectOption('cpu');

    // Every value the loss chart's step count takes, recorded in the page as the DOM changes.
    await page.evaluate(`(() => {
      window.seenPoints = [];
      new MutationObserver(() => {
        const chart = document.querySelector('[data-testid=chart-loss]');
        const n = chart ? Number(chart.getAttribute('data-points')) : -1;
        if (window.seenPoints.at(-1) !== n) window.seenPoints.push(n);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
    await page.getByTestId('train-start').click();
    await page.getByTestId('run-charts').waitFor();
    // The server keeps answering while it trains (the trainer runs in a worker thread).
    let slowestMs = 0;
    await expect
      .poll(
        async () => {
          const asked = performance.now();
          await apiCall('getAppInfo', {});
          slowestMs = Math.max(slowestMs, performance.now() - asked);
          return page.getByTestId('run-status').textContent();
        },
        { timeout: 90_000 },
      )
      .toBe('completed');
    expect(slowestMs).toBeLessThan(2000);
    expect(await points('loss')()).toBe(STEPS);
    // The charts filled in step by step from the live events, not all at once at the end.
    const seen = (await page.evaluate('window.seenPoints')) as number[];
    expect(seen.filter((n) => n > 0 && n < STEPS).length).toBeGreaterThan(2);
    expect(await points('margins')()).toBe(STEPS);
    expect(await page.getByTestId('run-device').textContent()).toMatch(/^CPU/);
    expect(await page.getByTestId('run-facts').textContent()).toMatch(
      /^\d+ train \/ \d+ eval pairs · reference log-probs: 0 cached, 8 computed · micro-batch \d+ × \d+, recompute (on|off), est\. peak [\d.]+ of [\d.]+ GB$/,
    );
    await page.getByTestId('run-model').waitFor();
    // docs/train-view.png comes from first-session.e2e.test.ts.
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'train-detail.png'), fullPage: true });

    const models = await apiCall<ModelVersion[]>('listModels', {});
    const tuned = models.find((m) => m.kind === 'trained');
    expect(tuned).toMatchObject({ parentId: baseId, name: 'tiny fixture · DPO run 1' });
    await page.goto(`${server.url}#/models`);
    await expect.poll(() => page.getByTestId('models-view').textContent()).toContain('DPO run 1');
  });
});
