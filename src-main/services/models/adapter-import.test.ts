// Importing a PEFT adapter trained elsewhere: the base found from base_model_name_or_path, a tuned version
// stored with its lineage, and adapters that do not fit (wrong shapes, unknown base) refused with the reason.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelsRepo } from '../../store/models-repo';
import { makeTempDir, openTempDatabase, type TempDatabase } from '../../store/test-support';
import { safetensorsIO, writePeftAdapter } from '../../train/index';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { importAdapter } from './adapter-import';
import { EventBus } from '../jobs/event-bus';
import { createModelsHandlers, createModelsService } from './models-service';

const LLAMA = path.resolve(import.meta.dirname, '../../models/fixtures/llama');

let temp: TempDatabase;
let repo: ModelsRepo;

beforeEach(() => {
  temp = openTempDatabase();
  repo = new ModelsRepo(temp.db);
});
afterEach(() => temp.dispose());

function registerBase(name: string, folder = LLAMA) {
  return repo.insert({
    name,
    kind: 'imported',
    path: folder,
    adapterPath: null,
    architecture: 'llama',
    dtype: 'float32',
    parameterCount: 1,
    parentId: null,
    config: { _name_or_path: 'org/tiny-llama' },
  });
}

/** A rank-2 adapter on layer 0's q_proj (48 -> 48 in the fixture), or a wrongly shaped one. */
async function writeAdapter(baseModel: string, outFeatures = 48): Promise<string> {
  const dir = makeTempDir('adapter-');
  const r = 2;
  await writePeftAdapter(
    dir,
    {
      baseModel,
      r,
      alpha: 4,
      targetModules: ['q_proj'],
      fanInFanOut: false,
      modules: {
        'model.layers.0.self_attn.q_proj': {
          inFeatures: 48,
          outFeatures,
          a: new Float32Array(r * 48).fill(0.01),
          b: new Float32Array(outFeatures * r).fill(0.02),
        },
      },
    },
    safetensorsIO,
  );
  return dir;
}

describe('importAdapter', () => {
  it('attaches an adapter to the model its config names, by hub name or folder', async () => {
    const base = registerBase('tiny llama');
    const byHubName = await importAdapter(repo, await writeAdapter('org/tiny-llama'));
    expect(byHubName).toMatchObject({ kind: 'trained', parentId: base.id, path: LLAMA });
    expect(repo.resolve(byHubName.id).modelDir).toBe(LLAMA);
    const byFolder = await importAdapter(repo, await writeAdapter(LLAMA), { name: 'from cluster' });
    expect(byFolder).toMatchObject({ name: 'from cluster', parentId: base.id });
    expect(repo.resolve(byFolder.id).adapterDir).toBe(byFolder.adapterPath);
  });

  it('refuses an adapter whose base is unknown, ambiguous, or whose shapes do not fit', async () => {
    registerBase('tiny llama');
    await expect(importAdapter(repo, await writeAdapter('someone/else'))).rejects.toThrow(
      /"someone\/else" matches no imported model/,
    );
    await expect(importAdapter(repo, await writeAdapter('org/tiny-llama', 24))).rejects.toThrow(
      /q_proj is \[24, 48\] in the adapter but not the model/,
    );
    const broken = await writeAdapter('org/tiny-llama');
    writeFileSync(path.join(broken, 'adapter_config.json'), '{');
    await expect(importAdapter(repo, broken)).rejects.toThrow(/adapter_config.json: not valid JSON/);
    registerBase('second copy');
    await expect(importAdapter(repo, await writeAdapter('org/tiny-llama'))).rejects.toThrow(
      /matches 2 models/,
    );
    expect(repo.list().filter((row) => row.kind === 'trained')).toHaveLength(0);
  });

  it('takes an explicit base and refuses the same folder twice', async () => {
    registerBase('a');
    const b = registerBase('b');
    const dir = await writeAdapter('unrelated/name');
    const row = await importAdapter(repo, dir, { baseModelId: b.id });
    expect(row.parentId).toBe(b.id);
    await expect(importAdapter(repo, dir, { baseModelId: b.id })).rejects.toThrow(/already registered/);
  });

  it("is what the Models view's import does with an adapter folder", async () => {
    const events = new EventBus();
    const added: unknown[] = [];
    events.subscribe((event, payload) => {
      if (event === 'modelsChanged') added.push(payload);
    });
    const device = async () => ({ requested: 'auto' as const, device: 'cpu' as const, reason: null });
    const api = createModelsHandlers(createModelsService({ db: temp.db, events, device }));
    const checkpoint = writeCheckpointFixture();
    const base = await api.importModel({ path: checkpoint });
    const tuned = await api.importModel({ path: await writeAdapter(checkpoint), name: 'cluster run' });
    expect(tuned).toMatchObject({
      kind: 'trained',
      parentId: base.id,
      name: 'cluster run',
      path: checkpoint,
    });
    expect(added).toEqual([
      { modelIds: [base.id], kind: 'added' },
      { modelIds: [tuned.id], kind: 'added' },
    ]);
    await expect(
      Promise.resolve().then(async () => api.importModel({ path: await writeAdapter('nobody/knows') })),
    ).rejects.toMatchObject({ code: 'bad_file' });
  });
});
