// End to end in Chromium for the Models view: import a checkpoint folder by path and see it listed with
// its architecture, parameters and dtype; a broken folder is refused with the file named; remove with a
// confirm, files kept.
import { existsSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointFixture } from '../../src-main/generate/checkpoint-fixture';
import { makeTempDir } from '../../src-main/store/test-support';
import { ARTIFACTS_DIR, launchChromium, startServer, type RunningServer } from './harness';

let workDir: string;
let modelDir: string;
let brokenDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  workDir = makeTempDir('dpo-e2e-models-');
  modelDir = writeCheckpointFixture();
  brokenDir = writeCheckpointFixture();
  unlinkSync(path.join(brokenDir, 'config.json'));
  server = await startServer(path.join(workDir, 'data'));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${server.url}#/models`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  for (const dir of [workDir, modelDir, brokenDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

async function importFolder(folder: string, name = ''): Promise<void> {
  await page.getByTestId('model-import-path').fill(folder);
  await page.getByTestId('model-import-name').fill(name);
  await page.getByTestId('model-import-submit').click();
}

describe('Models view', () => {
  it('imports a checkpoint folder and lists it with its architecture, size and dtype', async () => {
    await page.getByTestId('models-view').waitFor();
    await importFolder(modelDir, 'fixture llama');
    await expect
      .poll(() => page.getByTestId('models-message').textContent())
      .toContain('Imported “fixture llama” (LlamaForCausalLM)');
    const row = page.locator('[data-testid=model-row][data-kind=imported]');
    await expect.poll(() => row.count()).toBe(1);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('fixture llama');
    expect(text).toContain('LlamaForCausalLM');
    expect(text).toContain('float32');
    expect(text).toMatch(/\d+(\.\d)? KB/);
    expect(text).toMatch(/CPU|GPU/);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'models-view.png'), fullPage: true });
  });

  it('refuses a folder without config.json and names the file', async () => {
    await importFolder(brokenDir);
    await expect
      .poll(() => page.getByTestId('models-error').textContent())
      .toContain(`${brokenDir}: no config.json in this folder`);
    expect(await page.locator('[data-testid=model-row][data-kind=imported]').count()).toBe(1);
  });

  it('removes a version after a confirm and keeps its files', async () => {
    const row = page.locator('[data-testid=model-row][data-kind=imported]');
    await row.getByTestId('model-remove').click();
    await page.getByTestId('remove-model-dialog').waitFor();
    expect(await page.getByTestId('remove-model-delete-files').isChecked()).toBe(false);
    await page.getByTestId('remove-model-confirm').click();
    await expect
      .poll(() => page.getByTestId('models-message').textContent())
      .toContain('Removed 1 version; files kept on disk.');
    await expect.poll(() => row.count()).toBe(0);
    expect(existsSync(path.join(modelDir, 'model.safetensors'))).toBe(true);
  });
});
