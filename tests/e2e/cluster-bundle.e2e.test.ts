// End to end in Chromium: the Datasets view's Cluster bundle panel writes a TRL job folder for the selected
// dataset on the workbench's machine, and shows the server's reason when the folder is already used.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { callApi, launchChromium, startServer, type RunningServer } from './harness';

let workDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'dpo-e2e-bundle-'));
  server = await startServer(path.join(workDir, 'data'));
  const rows = [1, 2, 3, 4].map((i) =>
    JSON.stringify({ prompt: `Q${i}?`, chosen: 'right', rejected: 'wrong' }),
  );
  await callApi(server, 'importFile', {
    fileName: 'pairs.jsonl',
    content: rows.join('\n'),
    dataset: 'cluster',
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${server.url}#/datasets`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('cluster bundle in Chromium', () => {
  it('writes the job folder for the selected dataset, then refuses the same folder with the reason', async () => {
    await page.getByTestId('dataset-select').first().click();
    await page.getByTestId('dataset-detail').waitFor();
    await page.locator('[data-testid=bundle-panel] summary').click();
    const outDir = path.join(workDir, 'job');
    await page.getByTestId('bundle-out').fill(outDir);
    await page.getByTestId('bundle-gpus').fill('4');
    await page.getByTestId('bundle-lr').fill('0.00005');
    await page.getByTestId('bundle-button').click();
    await expect.poll(() => page.getByTestId('bundle-result').textContent()).toContain('4 train');
    const config = parse(readFileSync(path.join(outDir, 'trl-dpo.yaml'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ learning_rate: 0.00005, per_device_train_batch_size: 2 });
    expect(existsSync(path.join(outDir, 'data/train.jsonl'))).toBe(true);
    await page.getByTestId('bundle-button').click();
    await expect.poll(() => page.getByTestId('bundle-error').textContent()).toContain('is not empty');
  });
});
