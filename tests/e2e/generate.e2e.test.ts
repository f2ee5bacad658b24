// End to end in Chromium for the Generate view: the embedded tiny model (registered when the server opens),
// two pasted prompts, N = 3 with a fixed seed, text streamed while the job runs, candidates listed per
// prompt with log-prob and finish reason, "send to rating" with all pairs, and the Rate view serving those
// pairs, and thumbs up / down on single candidates (KTO's labels) with undo.
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../src-shared/api-models';
import { makeTempDir } from '../../src-main/store/test-support';
import { ARTIFACTS_DIR, callApi, launchChromium, startServer, type RunningServer } from './harness';

const PROMPTS = ['What is the capital of France?', 'What is 12 + 30?'];
const N = 3;

let workDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let model: ModelVersion;

const apiCall = <T>(method: string, input: unknown): Promise<T> => callApi<T>(server, method, input);

beforeAll(async () => {
  workDir = makeTempDir('dpo-e2e-generate-');
  server = await startServer(path.join(workDir, 'data'));
  const models = await apiCall<ModelVersion[]>('listModels', {});
  const embedded = models.find((m) => m.kind === 'embedded');
  if (!embedded) throw new Error('the embedded model (resources/tiny-model) was not registered');
  model = embedded;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${server.url}#/generate`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const stored = () => page.locator('[data-testid=stored-candidate]');

describe('Generate view', () => {
  it('samples three candidates for each of two prompts with live text, then lists them', async () => {
    await page.getByTestId('generate-model').selectOption(String(model.id));
    await page.getByTestId('prompt-paste').fill(PROMPTS.join('\n'));
    await page.getByTestId('prompt-use').click();
    await expect.poll(() => page.getByTestId('prompt-count').getAttribute('data-count')).toBe('2');
    // The sampling fields start from the model's generation_config.json.
    const defaults = model.generationDefaults;
    expect(Number(await page.getByTestId('sampling-temperature').inputValue())).toBe(
      defaults.temperature ?? 1,
    );
    expect(Number(await page.getByTestId('sampling-top-k').inputValue())).toBe(defaults.topK ?? 50);
    await page.getByTestId('sampling-n').fill(String(N));
    await page.getByTestId('sampling-max-new-tokens').fill('32');
    await page.getByTestId('sampling-seed').fill('7');

    // Records every streamed text the page renders (a string, so the Node side needs no DOM types).
    await page.evaluate(`(() => {
      window.__streamed = [];
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid=streamed-candidate] pre'))
          if (el.textContent !== '…') window.__streamed.push(el.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    await page.getByTestId('generate-run').click();
    await page.locator('[data-testid=generation-progress][data-status=completed]').waitFor();
    await expect.poll(() => stored().count()).toBeGreaterThanOrEqual(2);
    const streamed = (await page.evaluate('window.__streamed')) as string[];
    expect(streamed.length).toBeGreaterThan(0);

    for (const [i, prompt] of PROMPTS.entries()) {
      const block = page.locator('[data-testid=prompt-block]').nth(i);
      expect(await block.locator('h3').textContent()).toBe(prompt);
      const candidates = block.getByTestId('stored-candidate');
      // Samples with the same text are stored once.
      expect(await candidates.count()).toBeGreaterThanOrEqual(1);
      expect(await candidates.count()).toBeLessThanOrEqual(N);
      for (const text of await candidates.allTextContents()) {
        expect(text).toMatch(/log-prob -\d+\.\d\d/);
        expect(text).toMatch(/ended by (eos|length)/);
        expect(text).toContain('seed');
      }
    }
    // The final streamed text of each candidate is one of the stored texts.
    const storedTexts = await page.locator('[data-testid=stored-candidate] pre').allTextContents();
    expect(storedTexts.some((text) => streamed.includes(text))).toBe(true);
    // docs/generate-view.png comes from first-session.e2e.test.ts.
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'generate-detail.png'), fullPage: true });
  });

  it('sends the candidates to rating as all pairs and the Rate view serves them', async () => {
    await page.getByTestId('send-strategy').selectOption('all_pairs');
    await page.getByTestId('send-submit').click();
    const message = page.getByTestId('generate-message');
    await expect.poll(() => message.textContent()).toMatch(/^\d+ pair\(s\) sent to rating/);
    const sent = Number(/^(\d+)/.exec((await message.textContent()) ?? '')?.[1]);
    expect(sent).toBeGreaterThan(0);
    // All pairs: at most N choose 2 per prompt (fewer when samples repeat or nearly repeat).
    expect(sent).toBeLessThanOrEqual(2 * ((N * (N - 1)) / 2));
    await page.goto(`${server.url}#/rate`);
    await expect.poll(() => page.getByTestId('progress-total').textContent()).toBe(String(sent));
    expect(PROMPTS).toContain(await page.getByTestId('pair-prompt').textContent());
  });

  it('labels single candidates with thumbs up / down for KTO, undoes the last change, and keeps them over a reload', async () => {
    await page.goto(`${server.url}#/generate`);
    await expect.poll(() => stored().count()).toBeGreaterThanOrEqual(2);
    const first = stored().nth(0);
    const second = stored().nth(1);
    const firstId = Number(await first.getAttribute('data-candidate-id'));
    const secondId = Number(await second.getAttribute('data-candidate-id'));
    await first.getByTestId('thumb-up').click();
    await expect.poll(() => first.getAttribute('data-label')).toBe('desirable');
    expect(await first.getByTestId('thumb-up').getAttribute('aria-pressed')).toBe('true');
    await second.getByTestId('thumb-down').click();
    await expect.poll(() => second.getAttribute('data-label')).toBe('undesirable');
    await second.getByTestId('thumb-up').click(); // changes its mind
    await expect.poll(() => second.getAttribute('data-label')).toBe('desirable');
    await page.getByTestId('label-undo').click(); // back to thumbs down
    await expect.poll(() => second.getAttribute('data-label')).toBe('undesirable');

    // Stored on the server, where a KTO run of a dataset with these prompts reads them.
    type Listed = { candidates: { id: number; label: string | null }[] }[];
    const promptIds = await page
      .locator('[data-testid=prompt-block]')
      .evaluateAll((blocks) => blocks.map((b) => Number(b.getAttribute('data-prompt-id'))));
    const labels = new Map(
      (await apiCall<Listed>('listPromptCandidates', { promptIds }))
        .flatMap((p) => p.candidates)
        .map((c) => [c.id, c.label]),
    );
    expect([labels.get(firstId), labels.get(secondId)]).toEqual(['desirable', 'undesirable']);
    expect([...labels.values()].filter((l) => l !== null)).toHaveLength(2);

    await page.reload();
    await expect.poll(() => stored().nth(0).getAttribute('data-label')).toBe('desirable');
    expect(await stored().nth(1).getAttribute('data-label')).toBe('undesirable');
    await stored().nth(0).getByTestId('thumb-up').click(); // the same thumb again clears it
    await expect.poll(() => stored().nth(0).getAttribute('data-label')).toBe('');
  });

  it('picks up a running generation when the view opens again, and cancels it', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `What is ${i + 1} + ${i + 2}?`);
    const { promptIds } = await apiCall<{ promptIds: number[] }>('addPrompts', { texts });
    const settings = { modelId: model.id, promptIds, n: 64, maxNewTokens: 32, seed: 3 };
    const { jobId } = await apiCall<{ jobId: number }>('startGeneration', settings);
    await page.goto(`${server.url}#/models`);
    await page.goto(`${server.url}#/generate`);
    await page.locator('[data-testid=generation-progress][data-status=running]').waitFor();
    expect(await page.getByTestId('prompt-count').getAttribute('data-count')).toBe('40');
    expect(await page.getByTestId('sampling-n').inputValue()).toBe('64');
    await page.getByTestId('generate-cancel').click();
    await page.locator('[data-testid=generation-progress][data-status=cancelled]').waitFor();
    const [job] = await apiCall<Array<{ id: number; status: string }>>('listJobs', {
      kind: 'generate',
      limit: 1,
    });
    expect(job).toMatchObject({ id: jobId, status: 'cancelled' });
    // The 20 most recent stored prompts can be taken up again, in the order they were stored.
    await page.getByTestId('prompt-recent').click();
    await expect.poll(() => page.getByTestId('prompt-count').getAttribute('data-count')).toBe('20');
    const headings = page.locator('[data-testid=prompt-block] h3');
    expect(await headings.first().textContent()).toBe(texts.at(-20));
    expect(await headings.last().textContent()).toBe(texts.at(-1));
  });
});
