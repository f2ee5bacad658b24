// The generation service over a real (tiny, random) checkpoint: prompts pasted and imported, a job that
// streams text and stores N candidates per prompt with log-prob and finish reason, the same seed giving the
// same candidates, cancellation, and a clear refusal of unknown models and prompts.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers, ApiEventPayload } from '../../../src-shared/api';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { makeTempDir, removeDir } from '../../store/test-support';
import type { GenerationJobResult } from './generation-service';
import { openWorkbench, type Workbench } from '../open-workbench';

let dataDir: string;
let modelDir: string;
let workbench: Workbench;
let api: ApiHandlers;
const streamed: ApiEventPayload<'generationTokens'>[] = [];

beforeAll(() => {
  dataDir = makeTempDir('dpo-generate-service-');
  modelDir = writeCheckpointFixture();
  workbench = openWorkbench({ dataDir, transport: 'http', registerEmbeddedModel: false });
  api = workbench.services;
  workbench.events.subscribe((event, payload) => {
    if (event === 'generationTokens') streamed.push(payload as ApiEventPayload<'generationTokens'>);
  });
});
afterAll(() => {
  workbench.close();
  removeDir(dataDir);
  rmSync(modelDir, { recursive: true, force: true });
});

async function finished(jobId: number) {
  const job = await workbench.jobs.wait(jobId);
  if (!job) throw new Error('the workbench closed');
  return job;
}

describe('generation service', () => {
  it('samples N candidates per prompt in a job, streams them, and stores them with log-probs', async () => {
    const model = await api.importModel({ path: modelDir });
    const pasted = await api.addPrompts({ texts: ['Hello there', 'What is 2+2?'] });
    expect(pasted.promptsAdded).toBe(2);
    const settings = { modelId: model.id, promptIds: pasted.promptIds, n: 2, maxNewTokens: 6, seed: 7 };
    const { jobId } = await api.startGeneration({ ...settings, stopStrings: [], device: 'cpu' });
    const job = await finished(jobId);
    expect(job.status).toBe('completed');
    const result = job.result as GenerationJobResult;
    // One stored id per sample (two samples with the same text share one).
    expect(result.prompts.map((p) => p.candidateIds.length)).toEqual([2, 2]);
    expect(result.device).toBe('cpu');
    expect(job).toMatchObject({ progress: 2, total: 2 });

    const listed = await api.listPromptCandidates({ promptIds: pasted.promptIds });
    expect(listed.map((p) => p.prompt)).toEqual(['Hello there', 'What is 2+2?']);
    for (const prompt of listed) {
      expect(prompt.candidates.length).toBeGreaterThanOrEqual(1);
      for (const c of prompt.candidates) {
        expect(c.modelId).toBe(model.id);
        expect(c.logp).toBeLessThan(0);
        expect(['eos', 'length']).toContain(c.finishReason);
        expect(c.tokenCount).toBeLessThanOrEqual(6);
      }
    }
    // Every candidate's final streamed text is what was stored.
    const last = new Map<string, string>();
    for (const batch of streamed.filter((s) => s.jobId === jobId))
      for (const u of batch.updates) last.set(`${u.promptId}:${u.candidate}`, u.text);
    const storedTexts = listed.flatMap((p) => p.candidates.map((c) => c.text)).sort();
    expect([...new Set(last.values())].sort()).toEqual(storedTexts);

    // The same seed gives the same candidates: nothing new is stored.
    const again = await finished(
      (await api.startGeneration({ ...settings, stopStrings: [], device: 'cpu' })).jobId,
    );
    expect(again.result).toMatchObject({ candidatesAdded: 0 });
    expect((again.result as GenerationJobResult).prompts).toEqual(result.prompts);
  });

  it('imports a prompt file and returns the ids in file order', async () => {
    const imported = await api.importPrompts({
      fileName: 'prompts.txt',
      content: 'First prompt\nSecond prompt\nFirst prompt\n',
      encoding: 'utf8',
    });
    expect(imported).toMatchObject({ rows: 3, promptsAdded: 2, duplicatesSkipped: 1 });
    expect(imported.promptIds[0]).toBe(imported.promptIds[2]);
    const recent = await api.listPrompts({ limit: 2 });
    expect(recent.map((p) => p.text)).toEqual(['Second prompt', 'First prompt']);
  });

  it('cancels a running generation and refuses unknown models and prompts', async () => {
    const [model] = await api.listModels({ includeRemoved: false });
    const { promptIds } = await api.addPrompts({ texts: ['A long one'] });
    const { jobId } = await api.startGeneration({
      modelId: model!.id,
      promptIds,
      n: 4,
      maxNewTokens: 4000,
      seed: 1,
      stopStrings: [],
      device: 'cpu',
    });
    expect(await api.cancelJob({ jobId })).toEqual({ cancelled: true });
    expect((await finished(jobId)).status).toBe('cancelled');
    const base = { n: 1, maxNewTokens: 1, seed: 0, stopStrings: [], device: 'cpu' as const };
    expect(() => api.startGeneration({ ...base, modelId: 99, promptIds })).toThrow(
      'modelId: no model with id 99',
    );
    expect(() => api.startGeneration({ ...base, modelId: model!.id, promptIds: [999] })).toThrow(
      'promptIds: no prompt with id 999',
    );
  });

  it('keeps runs listed, each with its own candidates, and pairs only the chosen run', async () => {
    const [model] = await api.listModels({ includeRemoved: false });
    const { promptIds } = await api.addPrompts({ texts: ['Runs prompt one', 'Runs prompt two'] });
    const run = async (seed: number) => {
      const settings = { modelId: model!.id, promptIds, n: 3, maxNewTokens: 5, seed };
      const { jobId } = await api.startGeneration({ ...settings, stopStrings: [], device: 'cpu' });
      await finished(jobId);
      return jobId;
    };
    const first = await run(11);
    const second = await run(12);
    const listed = await api.listGenerationRuns({ limit: 50 });
    expect(listed.slice(0, 2).map((r) => r.jobId)).toEqual([second, first]);
    expect(listed[0]).toMatchObject({ status: 'completed', n: 3, prompts: 2, modelId: model!.id });

    const shown = await api.getGenerationRun({ jobId: second });
    const result = (await workbench.jobs.wait(second))?.result as GenerationJobResult;
    for (const [i, prompt] of shown.results.entries()) {
      const sampled = result.prompts[i]!.candidateIds;
      const distinct = [...new Set(sampled)];
      expect(prompt.candidates.map((c) => c.id)).toEqual(distinct);
      // Fewer than N only when samples repeated a text, and then it says so.
      if (distinct.length < 3) expect(prompt.shortfall).toMatch(/of 3 candidates: .*repeated/);
      else expect(prompt.shortfall).toBeNull();
    }

    const prompt = shown.results[0]!;
    const all = (await api.listPromptCandidates({ promptIds: [prompt.promptId] }))[0]!.candidates;
    expect(all.length).toBeGreaterThan(prompt.candidates.length);
    const allPairsOf = (candidateIds: number[]) =>
      api.createPairs({
        promptId: prompt.promptId,
        strategy: 'all_pairs',
        count: 10,
        seed: 0,
        similarityThreshold: 1,
        beta: 0.1,
        candidateIds,
      });
    const made = await allPairsOf(prompt.candidates.map((c) => c.id));
    const k = prompt.candidates.length;
    expect(made.pairsAdded + made.duplicatesSkipped).toBe((k * (k - 1)) / 2);
    await expect(allPairsOf([999_999])).rejects.toThrow(
      `candidateIds: 999999 is not a candidate of prompt ${prompt.promptId}`,
    );
    expect(() => api.getGenerationRun({ jobId: 999_999 })).toThrow('no generation run with id 999999');
  });
});
