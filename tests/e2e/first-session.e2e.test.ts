// A person's first session end to end in Chromium, on the embedded tiny model: import a file that mixes
// TRL standard, conversational and Anthropic HH rows, generate, reload (the run is still there), send it
// to rating, rate 20 pairs by keyboard, create a dataset with the default split, train, and compare.
// Asserts that the ratings are in training, that the counts shown equal the database's, that the plan
// line is the steps the run takes, and that Compare reaches the voting screen. Saves generate-view.png,
// rate-view.png, datasets-view.png and train-view.png (copied to docs/ with UPDATE_SCREENSHOTS=1).
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../src-shared/api-models';
import type { Dataset } from '../../src-shared/labeling-schemas';
import type { RatingProgress } from '../../src-shared/schemas';
import type { Run } from '../../src-shared/train-schemas';
import { makeTempDir } from '../../src-main/store/test-support';
import { callApi, docScreenshot, launchChromium, startServer, type RunningServer } from './harness';

const RATINGS = 20;
const PROMPTS = ['What is the capital of France?', 'Name a country in Asia.', 'What is 2 + 3?'];

let workDir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let model: ModelVersion;
let annotatorId: number;
let datasetId: number;

const apiCall = <T>(method: string, input: unknown): Promise<T> => callApi<T>(server, method, input);

/** Twelve rows in three styles: TRL standard, TRL conversational with a prompt, Anthropic HH. */
function mixedFile(): string {
  const rows: object[] = [];
  for (let i = 0; i < 4; i++) {
    rows.push({ prompt: `What is ${i} + ${i}?`, chosen: `${2 * i}.`, rejected: `${2 * i + 1}.` });
    rows.push({
      prompt: [{ role: 'user', content: `Spell the number ${i}.` }],
      chosen: [{ role: 'assistant', content: ['zero', 'one', 'two', 'three'][i] }],
      rejected: [{ role: 'assistant', content: 'I do not know.' }],
    });
    const transcript = `\n\nHuman: Is ${i} even?\n\nAssistant:`;
    rows.push({
      chosen: `${transcript} ${i % 2 === 0 ? 'Yes' : 'No'}.`,
      rejected: `${transcript} Maybe.`,
    });
  }
  return rows.map((row) => JSON.stringify(row)).join('\n');
}

beforeAll(async () => {
  workDir = makeTempDir('dpo-e2e-first-session-');
  server = await startServer(path.join(workDir, 'data'));
  const models = await apiCall<ModelVersion[]>('listModels', {});
  const embedded = models.find((m) => m.kind === 'embedded');
  if (!embedded) throw new Error('the embedded model (resources/tiny-model) was not registered');
  model = embedded;
  annotatorId = (await apiCall<Array<{ id: number }>>('listAnnotators', {}))[0]?.id as number;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const text = async (testId: string) => (await page.getByTestId(testId).first().textContent())?.trim();
const progress = () => apiCall<RatingProgress>('getRatingProgress', { annotatorId });

describe('a first session', () => {
  it('imports a file that mixes row styles', async () => {
    const file = path.join(workDir, 'mixed.jsonl');
    writeFileSync(file, mixedFile());
    await page.goto(`${server.url}#/datasets`);
    await page.getByTestId('file-import-input').setInputFiles(file);
    await expect.poll(() => text('file-import-result')).toMatch(/12 rows: 12 new pairs/);
    // The HH rows are conversations: the question alone is the prompt, the answer has no leading space.
    const prompts = await apiCall<Array<{ promptId: number; text: string }>>('listPrompts', {});
    const hh = prompts.find((p) => p.text === 'Is 0 even?');
    expect(hh).toBeDefined();
    const pair = await apiCall<{ candidates: Array<{ text: string }> }>('listCandidates', {
      promptId: hh?.promptId,
    });
    expect(pair.candidates.map((c) => c.text).sort()).toEqual(['Maybe.', 'Yes.']);
  });

  it('generates, keeps the run across a reload, and sends that run to rating', async () => {
    await page.goto(`${server.url}#/generate`);
    await page.getByTestId('generate-model').selectOption(String(model.id));
    await page.getByTestId('prompt-paste').fill(PROMPTS.join('\n'));
    await page.getByTestId('prompt-use').click();
    await expect.poll(() => page.getByTestId('prompt-count').getAttribute('data-count')).toBe('3');
    await page.getByTestId('sampling-n').fill('4');
    await page.getByTestId('sampling-max-new-tokens').fill('16');
    await page.getByTestId('sampling-seed').fill('5');
    await page.getByTestId('generate-run').click();
    await page.locator('[data-testid=generation-progress][data-status=completed]').waitFor();
    const stored = page.locator('[data-testid=stored-candidate]');
    await expect.poll(() => stored.count()).toBeGreaterThanOrEqual(3);
    const before = await stored.allTextContents();
    // A prompt with fewer than N says why.
    const blocks = page.locator('[data-testid=prompt-block]');
    for (let i = 0; i < 3; i++) {
      const block = blocks.nth(i);
      const count = await block.getByTestId('stored-candidate').count();
      if (count < 4) expect(await block.getByTestId('shortfall').textContent()).toMatch(/of 4 candidates: /);
    }
    await docScreenshot(page, 'generate-view.png');

    await page.reload();
    await expect.poll(() => stored.allTextContents()).toEqual(before);
    const [run] = await apiCall<Array<{ jobId: number }>>('listGenerationRuns', {});
    expect(await page.getByTestId('run-select').inputValue()).toBe(String(run?.jobId));
    await page.getByTestId('send-strategy').selectOption('all_pairs');
    await page.getByTestId('send-submit').click();
    const sent = /^(\d+) pair\(s\) sent/.exec((await waitForMessage()) ?? '');
    // All pairs of this run's candidates only: at most 6 per prompt.
    expect(Number(sent?.[1])).toBeGreaterThan(0);
    expect(Number(sent?.[1])).toBeLessThanOrEqual(3 * 6);
    expect((await progress()).total).toBe(12 + Number(sent?.[1]));
  });

  it('rates 20 pairs by keyboard, prompts interleaved, with the counts the database holds', async () => {
    await page.goto(`${server.url}#/rate`);
    const view = page.getByTestId('rate-view');
    await expect.poll(() => view.getAttribute('data-status')).toBe('rating');
    const prompts: string[] = [];
    for (let screen = 0; screen < 40 && (await progress()).rated < RATINGS; screen++) {
      const shown = Number(await view.getAttribute('data-shown'));
      prompts.push((await text('pair-prompt')) ?? '');
      await page.keyboard.press(screen % 3 === 0 ? '2' : '1');
      await expect.poll(() => view.getAttribute('data-shown')).not.toBe(String(shown));
      await expect.poll(() => view.getAttribute('data-busy')).toBe('false');
    }
    const stored = await progress();
    expect(stored.rated).toBe(RATINGS);
    // No prompt comes twice in a row while others wait (the queue interleaves prompts).
    expect(prompts.slice(0, 10).filter((p, i) => i > 0 && p === prompts[i - 1])).toEqual([]);
    await expect.poll(() => text('progress-rated')).toBe(String(stored.rated));
    expect(await text('progress-total')).toBe(String(stored.total));
    expect(await text('progress-remaining')).toBe(String(stored.remaining));
    await expect.poll(() => text('stats-rated')).toBe(String(stored.rated));
    expect(await text('stats-remaining')).toBe(String(stored.remaining));
    await docScreenshot(page, 'rate-view.png', false);
  });

  it('creates a dataset with the default split that trains on the ratings', async () => {
    await page.goto(`${server.url}#/datasets`);
    await page.getByTestId('dataset-name').fill('first');
    // The form says what the split will be before anything is made.
    await expect.poll(() => text('split-plan-annotator')).toMatch(/in train/);
    const planned = { train: await text('split-plan-train'), eval: await text('split-plan-eval') };
    await page.getByTestId('dataset-create').click();
    await page.locator('[data-testid=dataset-select]').first().waitFor();
    const [dataset] = await apiCall<Dataset[]>('listDatasets', {});
    if (!dataset) throw new Error('no dataset was made');
    datasetId = dataset.id;
    const { stats } = dataset;
    expect(planned).toEqual({ train: String(stats.train), eval: String(stats.eval) });
    expect(await page.locator('[data-testid=dataset-select] .muted').first().textContent()).toBe(
      `${stats.pairs} pairs · ${stats.train} train · ${stats.eval} eval`,
    );
    expect(stats.fromRatings).toBe(RATINGS);
    // About a tenth held out, and the person's ratings in training.
    expect(stats.eval).toBeGreaterThan(0);
    expect(stats.eval).toBeLessThanOrEqual(Math.ceil(0.1 * stats.pairs) + 1);
    const mine = stats.perAnnotator.find((entry) => entry.annotatorId === annotatorId);
    expect((mine?.train ?? 0) + (mine?.eval ?? 0)).toBe(RATINGS);
    expect(mine?.train).toBeGreaterThanOrEqual(RATINGS - stats.eval);
    await docScreenshot(page, 'datasets-view.png');
  });

  it('trains for the steps its plan line says', async () => {
    await page.goto(`${server.url}#/train`);
    await page.getByTestId('train-dataset').selectOption(String(datasetId));
    await page.getByTestId('train-model').selectOption(String(model.id));
    await expect.poll(() => text('train-plan')).toMatch(/^\d+ epochs? of \d+ steps: \d+ steps$/);
    await page.getByTestId('train-advanced-toggle').click();
    await page.getByTestId('setting-epochs').fill('2');
    await page.getByTestId('setting-epochs').dispatchEvent('change');
    await page.getByTestId('setting-device').selectOption('cpu');
    // The line follows the edit (it stayed at the one-click plan before).
    await expect.poll(() => text('train-plan')).toMatch(/^2 epochs of/);
    const plan = /^2 epochs of (\d+) steps: (\d+) steps$/.exec((await text('train-plan')) ?? '');
    expect(plan).not.toBeNull();
    const steps = Number(plan?.[2]);
    expect(steps).toBe(2 * Number(plan?.[1]));
    await page.getByTestId('train-start').click();
    await expect.poll(() => text('run-status'), { timeout: 110_000 }).toBe('completed');
    const [run] = await apiCall<Run[]>('listRuns', {});
    expect(run).toMatchObject({ totalSteps: steps, step: steps });
    expect(await text('run-progress')).toContain(`step ${steps} / ${steps}`);
    await docScreenshot(page, 'train-view.png');
  });

  it("compares the tuned version on the dataset's held-out prompts and reaches the voting screen", async () => {
    await page.goto(`${server.url}#/compare`);
    await page.getByTestId('compare-setup').waitFor();
    const runs = await apiCall<Run[]>('listRuns', {});
    await expect
      .poll(() => page.getByTestId('compare-model-b').inputValue())
      .toBe(String(runs[0]?.outputModelId));
    expect(await page.getByTestId('compare-source-heldout').isDisabled()).toBe(false);
    await page.getByTestId('compare-source-heldout').check();
    await page.getByTestId('compare-max-tokens').fill('8');
    await page.getByTestId('compare-start').click();
    const session = page.getByTestId('compare-session');
    await expect.poll(() => session.getAttribute('data-status'), { timeout: 60_000 }).toBe('voting');
    expect(await page.getByTestId('compare-left').innerText()).not.toBe('');
  });
});

async function waitForMessage(): Promise<string | undefined> {
  await expect.poll(() => text('generate-message')).toMatch(/pair\(s\) sent to rating/);
  return text('generate-message');
}
