// End to end in Chromium against browser mode: import, rate by keyboard alone, undo, reload, restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RatingSummary } from '../../src-shared/schemas';
import { ARTIFACTS_DIR, callApi, closeApp, openApp, startServer, type RunningServer } from './harness';

const FIXTURES = path.resolve('tests/e2e/fixtures');

let dataDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;

async function idle(): Promise<void> {
  await page.locator('[data-testid=rate-view][data-busy=false]').waitFor();
}

async function shownPairId(): Promise<string> {
  await idle();
  return (await page.getByTestId('pair-view').getAttribute('data-pair-id')) ?? '';
}

/** Presses a key and waits until the view shows another pair: the rating was committed first. */
async function rateWith(key: string): Promise<string> {
  const before = await shownPairId();
  await page.keyboard.press(key);
  const pairView = page.getByTestId('pair-view');
  await expect
    .poll(async () => ((await pairView.count()) ? pairView.getAttribute('data-pair-id') : null))
    .not.toBe(before);
  return before;
}

async function progressText(): Promise<string> {
  await idle();
  return `${await page.getByTestId('progress-rated').textContent()}/${await page.getByTestId('progress-total').textContent()}`;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-e2e-'));
  ({ server, browser, page } = await openApp(dataDir));
});

afterAll(async () => {
  await closeApp({ browser, server });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Rate view in Chromium', () => {
  it('refuses a malformed file, naming line and field, and stores nothing', async () => {
    await page.getByTestId('import-input').setInputFiles(path.join(FIXTURES, 'bad-pairs.jsonl'));
    const result = page.locator('[data-testid=import-result][data-outcome=error]');
    await expect
      .poll(() => result.textContent())
      .toContain('bad-pairs.jsonl line 2: field "chosen" must be a string');
    expect(await page.getByTestId('rate-view').getAttribute('data-status')).toBe('empty');
    // The status line says where the engine runs, once the device probe has answered.
    await expect
      .poll(() => page.getByTestId('app-device').getAttribute('data-device'))
      .toMatch(/^(cpu|cuda)$/);
  });

  it('imports pairs and rates five by keyboard alone, with an undo', async () => {
    await page.getByTestId('import-input').setInputFiles(path.join(FIXTURES, 'pairs.jsonl'));
    await page.locator('[data-testid=import-result][data-outcome=added]').waitFor();
    await expect.poll(progressText).toBe('0/8');

    const rated: string[] = [];
    rated.push(await rateWith('1')); // left, clear (the default strength)
    rated.push(await rateWith('Shift+Digit2')); // right, strong
    await page.keyboard.press('q'); // slight, for the next choice
    expect(await page.getByTestId('strength-indicator').getAttribute('data-strength')).toBe('1');
    rated.push(await rateWith('b')); // right, slight
    await page.keyboard.press('n');
    await page.keyboard.type('close call');
    await page.keyboard.press('Escape');
    rated.push(await rateWith('t')); // tie, with a note
    const bothBad = await rateWith('x');
    await expect.poll(progressText).toBe('5/8');

    await page.keyboard.press('u');
    await expect.poll(shownPairId).toBe(bothBad);
    await expect.poll(progressText).toBe('4/8');
    rated.push(await rateWith('s')); // skip, in place of the undone "both bad"
    expect(rated.at(-1)).toBe(bothBad);
    // A skip is not a rating: it is counted apart and leaves three pairs to go.
    await expect.poll(progressText).toBe('4/8');
    expect(await page.getByTestId('progress-skipped').textContent()).toBe('1');
    expect(await page.getByTestId('progress-remaining').textContent()).toBe('3');

    const annotatorId = Number(await page.getByTestId('annotator-select').inputValue());
    const stored = await callApi<RatingSummary[]>(server, 'listRatings', { annotatorId });
    expect(stored.map((r) => [String(r.pairId), r.shownChoice, r.strength, r.note])).toEqual([
      [rated[4], 'skip', null, null],
      [rated[3], 'tie', null, 'close call'],
      [rated[2], 'right', 1, null],
      [rated[1], 'right', 3, null],
      [rated[0], 'left', 2, null],
    ]);
    expect(stored.every((r) => r.timeSpentMs >= 0)).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'rate-view.png') });
  });

  it('keeps the ratings across a page reload', async () => {
    const next = await shownPairId();
    await page.reload();
    await expect.poll(progressText).toBe('4/8');
    expect(await shownPairId()).toBe(next);
    await expect.poll(() => page.getByTestId('recent-rating').count()).toBe(5);
  });

  it('keeps the ratings when the server is killed and started again', async () => {
    await server.stop('SIGKILL');
    server = await startServer(dataDir);
    await page.goto(server.url);
    await expect.poll(progressText).toBe('4/8');
    await expect.poll(() => page.getByTestId('recent-rating').count()).toBe(5);
  });

  it('shows model output as text, never as HTML', async () => {
    while ((await page.getByTestId('pair-prompt').textContent())?.includes('greeting') !== true) {
      await rateWith('s');
    }
    const responses = `${await page.getByTestId('response-left').textContent()}${await page.getByTestId('response-right').textContent()}`;
    expect(responses).toContain('<script>alert(1)</script>');
    const markup = page.locator('[data-testid=pair-view] :is(script, b, img)');
    expect(await markup.count()).toBe(0);
    await page.keyboard.press('m');
    await page.locator('[data-testid=response-left] [data-mode=markdown]').waitFor();
    expect(await markup.count()).toBe(0);
    const both = `${await page.getByTestId('response-left').textContent()}${await page.getByTestId('response-right').textContent()}`;
    expect(both).toContain('<script>alert(1)</script>');
    await page.keyboard.press('m');
    await page.keyboard.press('d');
    await page.locator('[data-testid=response-left] [data-mode=diff]').waitFor();
    // The two responses share no word, so every word on both sides is marked.
    expect(await page.locator('[data-testid=pair-view] mark').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('diff-share').textContent()).toBe('100% of words differ');
  });
});
