// The training methods through both transports: one-click defaults, a short run started, listed and
// inspected with its metrics, the tuned version among the models, and refusals that name the field.
import { describe, expect, it } from 'vitest';
import { useCheckpointWorkbench } from './support';
import { rejection, TRANSPORTS } from './transports';

const PAIRS = Array.from({ length: 6 }, (_, i) => ({
  prompt: `What is ${i}+1?`,
  chosen: `${i + 1}`,
  rejected: `no idea ${i}`,
}));

describe.each(TRANSPORTS)('training API over %s', (_name, makeTransport) => {
  const ctx = useCheckpointWorkbench('dpo-train-contract-', makeTransport);

  it('defaults, a run to completion with its metrics, and the tuned version', async () => {
    const api = ctx.transport.client;
    const base = await api.importModel({ path: ctx.modelDir, name: 'fixture' });
    const content = PAIRS.map((p) => JSON.stringify(p)).join('\n');
    const { dataset } = await api.importFile({ fileName: 'six.jsonl', content, dataset: 'six' });
    const datasetId = dataset?.id as number;
    const defaults = await api.getTrainDefaults({ datasetId, baseModelId: base.id });
    expect(defaults).toMatchObject({ trainPairs: 6, evalPairs: 0 });
    expect(defaults.deviceLine).toMatch(/^(CUDA|CPU)/);
    expect(defaults.settings.maxLength).toBeGreaterThanOrEqual(16);

    const started = await api.startTraining({
      datasetId,
      baseModelId: base.id,
      settings: { maxSteps: 2, batchSize: 2, lr: 1e-2, device: 'cpu' },
    });
    expect((await api.listRuns({}))[0]).toMatchObject({ id: started.runId, datasetName: 'six' });
    await ctx.workbench.jobs.wait(started.jobId);
    const { run, metrics } = await api.getRun({ runId: started.runId });
    expect(run).toMatchObject({ status: 'completed', step: 2, totalSteps: 2, baseModelName: 'fixture' });
    expect(run.settings).toMatchObject({ maxSteps: 2, batchSize: 2, maxLength: defaults.settings.maxLength });
    expect(metrics.train.find((s) => s.name === 'rewards/margins')?.steps).toEqual([1, 2]);
    const tuned = (await api.listModels({})).find((m) => m.id === run.outputModelId);
    expect(tuned).toMatchObject({ kind: 'trained', parentId: base.id });
    expect(await api.cancelRun({ runId: run.id })).toEqual({ cancelled: false });
  });

  it('refuses unknown runs and bad settings with the field named', async () => {
    const api = ctx.transport.client;
    const missing = await rejection(api.getRun({ runId: 42 }));
    expect([missing.code, missing.message]).toEqual(['not_found', 'runId: no run with id 42']);
    const bad = await rejection(
      ctx.transport.raw('startTraining', { datasetId: 1, baseModelId: 1, settings: { beta: -1 } }),
    );
    expect(bad.code).toBe('invalid_input');
    expect(bad.message).toMatch(/settings\.beta/);
    const resume = await rejection(api.resumeRun({ runId: 7 }));
    expect(resume.code).toBe('not_found');
  });
});
