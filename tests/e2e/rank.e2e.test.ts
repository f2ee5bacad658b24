// End to end in Chromium: rank mode orders three candidates of one prompt from the keyboard (with a take-back)
// and the ranking is stored as ratings of every pair it implies.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RatingSummary } from '../../src-shared/schemas';
import { callApi, closeApp, openApp, type RunningServer } from './harness';

let workDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'dpo-e2e-rank-'));
  // One prompt answered three ways across two rows: three candidates.
  const rows = [
    { prompt: 'Name a prime number.', chosen: 'Seven.', rejected: 'Nine.' },
    { prompt: 'Name a prime number.', chosen: 'Two, the only even one.', rejected: 'Nine.' },
  ];
  writeFileSync(path.join(workDir, 'pairs.jsonl'), rows.map((row) => JSON.stringify(row)).join('\n'));
  ({ server, browser, page } = await openApp(path.join(workDir, 'data')));
});

afterAll(async () => {
  await closeApp({ browser, server });
  rmSync(workDir, { recursive: true, force: true });
});

it('ranks three candidates by keyboard and stores the pairs it implies', async () => {
  await page.getByTestId('import-input').setInputFiles(path.join(workDir, 'pairs.jsonl'));
  await page.locator('[data-testid=import-result][data-outcome=added]').waitFor();
  await page.getByTestId('mode-rank').click();
  await page.getByTestId('rank-prompt').first().click();
  await expect.poll(() => page.getByTestId('rank-candidate').count()).toBe(3);
  const shown = await page
    .getByTestId('rank-candidate')
    .evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-candidate-id'))));

  await page.keyboard.press('3'); // the third shown is the best
  await page.keyboard.press('1'); // then the first; the second is placed last by itself
  await page.keyboard.press('Backspace'); // take the automatic last place back
  await page.keyboard.press('Backspace'); // and the first
  await page.keyboard.press('2'); // of [first, second] left: the second
  await expect.poll(() => page.getByTestId('rank-order').textContent()).toBe('3 of 3 placed');
  const ranks = await page
    .getByTestId('rank-candidate')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-rank')));
  expect(ranks).toEqual(['3', '2', '1']);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.getByTestId('rank-result').textContent()).toContain('3 ratings');
  expect(await page.getByTestId('rank-result').textContent()).toMatch(/made 1 new pair and 3 ratings/);

  const annotatorId = Number(await page.getByTestId('annotator-select').inputValue());
  const ratings = await callApi<RatingSummary[]>(server, 'listRatings', { annotatorId });
  expect(ratings).toHaveLength(3);
  expect(shown).toHaveLength(3);
});
