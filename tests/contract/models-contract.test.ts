// The models, prompts and jobs methods through both transports: a checkpoint folder imported and listed,
// a broken one refused with the file named, removal refused while a tuned version depends on it, prompts
// pasted and imported with their ids, and an unknown job.
import { unlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCheckpointWorkbench } from './support';
import { rejection, TRANSPORTS } from './transports';

describe.each(TRANSPORTS)('models and prompts API over %s', (_name, makeTransport) => {
  const ctx = useCheckpointWorkbench('dpo-models-contract-', makeTransport);

  it('imports a folder, lists it, and refuses to remove a base that has a tuned version', async () => {
    const api = ctx.transport.client;
    expect(await api.listModels({})).toEqual([]);
    const imported = await api.importModel({ path: ctx.modelDir, name: '  base  ' });
    expect(imported).toMatchObject({ name: 'base', kind: 'imported', architecture: 'LlamaForCausalLM' });
    const tuned = ctx.workbench.models.repo.insert({
      name: 'tuned',
      kind: 'trained',
      path: ctx.modelDir,
      adapterPath: path.join(ctx.modelDir, 'adapter'),
      architecture: imported.architecture,
      dtype: imported.dtype,
      parameterCount: 100,
      parentId: imported.id,
      config: null,
    });
    const listed = await api.listModels({});
    expect(listed.map((m) => [m.name, m.parentId, m.sizeBytes === null])).toEqual([
      ['base', null, false],
      ['tuned', imported.id, true],
    ]);
    const refused = await rejection(api.removeModel({ modelId: imported.id }));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toContain('has 1 tuned version(s) ("tuned")');
    const removed = await api.removeModel({ modelId: imported.id, withChildren: true });
    expect(removed).toEqual({ removed: [imported.id, tuned.id], deletedFolders: [] });
    expect(await api.listModels({})).toEqual([]);
  });

  it('refuses a folder with a broken checkpoint, naming the file', async () => {
    unlinkSync(path.join(ctx.modelDir, 'tokenizer.json'));
    const error = await rejection(ctx.transport.client.importModel({ path: ctx.modelDir }));
    expect(error.code).toBe('bad_file');
    expect(error.message).toBe(`${ctx.modelDir}: no tokenizer.json in this folder`);
    expect((await rejection(ctx.transport.raw('importModel', { path: '  ' }))).message).toContain(
      'path: must name a folder',
    );
  });

  it('stores pasted and imported prompts with their ids, and knows no such job', async () => {
    const api = ctx.transport.client;
    const pasted = await api.addPrompts({ texts: ['One?', 'Two?'] });
    expect(pasted).toEqual({ promptIds: [1, 2], promptsAdded: 2 });
    const imported = await api.importPrompts({
      fileName: 'p.jsonl',
      content: '{"prompt":"Two?"}\n{"prompt":"Three?"}\n',
    });
    expect(imported).toMatchObject({ rows: 2, promptsAdded: 1, duplicatesSkipped: 1, promptIds: [2, 3] });
    const bad = await rejection(api.importPrompts({ fileName: 'p.jsonl', content: '{"prompt": 5}\n' }));
    expect(bad.code).toBe('bad_file');
    expect(bad.message).toMatch(/^p\.jsonl line 1: /);
    const listed = await api.listPromptCandidates({ promptIds: [3, 1] });
    expect(listed).toEqual([
      { promptId: 3, prompt: 'Three?', candidates: [] },
      { promptId: 1, prompt: 'One?', candidates: [] },
    ]);
    expect(await api.listJobs({})).toEqual([]);
    expect((await rejection(api.cancelJob({ jobId: 5 }))).message).toBe('jobId: no job with id 5');
  });
});
