// Rate view responsiveness with very long responses, in Chromium against browser mode.
//
// Pairs with ~20,000-token responses are mixed with pairs of ~200-token responses (the reference). For each
// rating the bench presses "1" and times until the next pair is on screen and the view is idle (the
// rating is stored, the next pair fetched, its word diff computed and its text laid out and painted), in
// plain, highlighted-differences and markdown display. Reported: the median per kind and the ratio
// long / short. Usage: npm run bench:rate-view [-- --pairs N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium, startServer } from '../tests/e2e/harness';

const VOCABULARY = (
  'the model answers each question with care and a short explanation of why the capital city is ' +
  'where it is while the currency and continent follow from the same table of facts'
).split(' ');

/** Deterministic prose of `count` words, in paragraphs, with a little markdown now and then. */
function prose(seed: number, count: number): string {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = VOCABULARY[next() % VOCABULARY.length] ?? 'word';
    out.push(next() % 50 === 0 ? `**${word}**` : word);
    out.push((i + 1) % 120 === 0 ? '\n\n' : ' ');
  }
  return out.join('');
}

/** What the page-side functions use of the browser: this file is type-checked for Node, without the DOM. */
interface PageGlobals {
  document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };
  requestAnimationFrame(callback: () => void): number;
}

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const perKindAndMode = argument('--pairs', 4);
  const modes = ['plain', 'diff', 'markdown'] as const;
  const rows: string[] = [];
  // Enough pairs that each (kind, display) cell gets about `perKindAndMode` samples whatever order the
  // server serves them in.
  for (let i = 0; i < perKindAndMode * modes.length * 2 + 1; i++) {
    const kind = i % 2 === 0 ? 'LONG' : 'SHORT';
    // ~1.3 tokens per English word with a byte-level BPE: 15,000 words is about 20,000 tokens.
    const words = kind === 'LONG' ? 15_000 : 150;
    rows.push(
      JSON.stringify({
        prompt: `${kind} pair ${i}: explain the table.`,
        chosen: prose(i * 2 + 1, words),
        rejected: prose(i * 2 + 2, words),
      }),
    );
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-bench-rate-'));
  const file = path.join(dataDir, 'long-pairs.jsonl');
  writeFileSync(file, `${rows.join('\n')}\n`);
  const server = await startServer(dataDir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.url);
    await page.getByTestId('import-input').setInputFiles(file);
    await page.locator('[data-testid=import-result][data-outcome=added]').waitFor({ timeout: 120_000 });
    const idle = page.locator('[data-testid=rate-view][data-busy=false]');
    const timings: Record<string, number[]> = {};
    for (let i = 0; i < rows.length - 1; i++) {
      // The display the next pair will arrive in, cycling through the three.
      const mode = modes[i % modes.length] ?? 'plain';
      // Markdown off first: the diff toggle is disabled while markdown is on.
      const steps: Array<[string, boolean]> = [
        ['markdown', false],
        ['diff', mode === 'diff'],
        ['markdown', mode === 'markdown'],
      ];
      for (const [toggle, wanted] of steps) {
        const button = page.getByTestId(`toggle-${toggle}`);
        if (((await button.getAttribute('aria-pressed')) === 'true') !== wanted) await button.click();
      }
      await idle.waitFor({ timeout: 120_000 });
      const before = await page.getByTestId('pair-view').getAttribute('data-pair-id');
      const started = Date.now();
      await page.keyboard.press('1');
      await page.waitForFunction(
        (previous) => {
          const { document } = globalThis as unknown as PageGlobals;
          const view = document.querySelector('[data-testid=pair-view]');
          const rate = document.querySelector('[data-testid=rate-view]');
          return (
            view !== null &&
            view.getAttribute('data-pair-id') !== previous &&
            rate?.getAttribute('data-busy') === 'false'
          );
        },
        before,
        { timeout: 120_000 },
      );
      // Two animation frames: the new pair has been laid out and painted.
      await page.evaluate(() => {
        const { requestAnimationFrame } = globalThis as unknown as PageGlobals;
        return new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      });
      const elapsed = Date.now() - started;
      const kind = ((await page.getByTestId('pair-prompt').textContent()) ?? '').split(' ')[0];
      (timings[`${kind} ${mode}`] ??= []).push(elapsed);
    }
    console.log('\nRate view: from the key press to the next pair painted (Chromium, browser mode)\n');
    console.log('| display | ~200 tokens (ms) | ~20,000 tokens (ms) | ratio long / short |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const mode of modes) {
      const short = median(timings[`SHORT ${mode}`] ?? []);
      const long = median(timings[`LONG ${mode}`] ?? []);
      console.log(`| ${mode} | ${short.toFixed(0)} | ${long.toFixed(0)} | ${(long / short).toFixed(1)} |`);
    }
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
