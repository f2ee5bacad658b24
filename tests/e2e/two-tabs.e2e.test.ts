// Two browser tabs rating the same queue at once, by keyboard: every pair ends up rated exactly once, no
// rating is lost, and each tab learns of the other's ratings through server-sent events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RatingSummary } from '../../src-shared/schemas';
import { launchChromium, startServer, type RunningServer } from './harness';

const PAIRS = 12;

let dataDir: string;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-e2e-tabs-'));
  server = await startServer(dataDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function post<T>(method: string, input: unknown): Promise<T> {
  const response = await fetch(`${server.url}api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  return (await response.json()) as T;
}

/** Rates by keyboard until the tab shows "done"; returns how many keys it pressed on a shown pair. */
async function rateUntilDone(page: Page, key: string): Promise<number> {
  let presses = 0;
  const view = page.getByTestId('rate-view');
  for (let guard = 0; guard < PAIRS * 4; guard += 1) {
    await page.locator('[data-testid=rate-view][data-busy=false]').waitFor();
    const status = await view.getAttribute('data-status');
    if (status === 'done') return presses;
    if (status !== 'rating') continue;
    await page.keyboard.press(key);
    presses += 1;
  }
  throw new Error('the tab never reached "all rated"');
}

it('two tabs rating at once store each pair once and lose nothing', async () => {
  const rows = Array.from({ length: PAIRS }, (_, i) =>
    JSON.stringify({
      prompt: `Question ${i}?`,
      chosen: `Right answer ${i}.`,
      rejected: `Wrong answer ${i}.`,
    }),
  );
  await post('importPairs', { fileName: 'tabs.jsonl', content: rows.join('\n') });
  const [first, second] = await Promise.all([browser.newPage(), browser.newPage()]);
  await Promise.all([first!.goto(server.url), second!.goto(server.url)]);

  const [pressedLeft, pressedTie] = await Promise.all([
    rateUntilDone(first!, '1'),
    rateUntilDone(second!, 't'),
  ]);
  expect(pressedLeft + pressedTie).toBeGreaterThanOrEqual(PAIRS);

  const [me] = await post<{ id: number }[]>('listAnnotators', {});
  const ratings = await post<RatingSummary[]>('listRatings', { annotatorId: me!.id, limit: 100 });
  expect(ratings).toHaveLength(PAIRS);
  expect(new Set(ratings.map((r) => r.pairId)).size).toBe(PAIRS);
  expect(ratings.every((r) => r.shownChoice === 'left' || r.shownChoice === 'tie')).toBe(true);
  for (const page of [first!, second!]) {
    await expect.poll(() => page.getByTestId('progress-rated').textContent()).toBe(String(PAIRS));
  }
});
