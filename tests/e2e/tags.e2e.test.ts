// End to end in Chromium: the reason-tag editor shows the server's refusal verbatim, then saves a valid tag
// whose chip and key work in the Rate view.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeApp, openApp, type RunningServer } from './harness';

const FIXTURES = path.resolve('tests/e2e/fixtures');

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-e2e-tags-'));
  ({ server, browser, page } = await openApp(dataDir));
});

afterAll(async () => {
  await closeApp({ browser, server });
  rmSync(dataDir, { recursive: true, force: true });
});

it('edits reason tags, shows a refused key verbatim, and toggles a saved tag by its key', async () => {
  await page.getByTestId('import-input').setInputFiles(path.join(FIXTURES, 'pairs.jsonl'));
  await page.locator('[data-testid=import-result][data-outcome=added]').waitFor();
  await page.getByTestId('tags-edit').click();
  await page.getByTestId('tag-add').click();
  await page.getByTestId('tag-name-input').last().fill('too long');
  await page.getByTestId('tag-key-input').last().fill('a');
  await page.getByTestId('tags-save').click();
  await expect
    .poll(() => page.getByTestId('tags-error').textContent())
    .toContain("must not be one of the Rate view's keys");

  await page.getByTestId('tag-key-input').last().fill('l');
  await page.getByTestId('tags-save').click();
  await page.getByTestId('tag-editor').waitFor({ state: 'detached' });
  const chip = page.locator('[data-testid=tag-chip][data-key=l]');
  expect(await chip.textContent()).toContain('too long');
  await page.keyboard.press('l');
  await expect.poll(() => chip.getAttribute('aria-pressed')).toBe('true');
  await page.keyboard.press('l');
  await expect.poll(() => chip.getAttribute('aria-pressed')).toBe('false');
});
