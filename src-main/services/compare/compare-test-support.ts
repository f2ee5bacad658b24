// Test helper for comparisons: a base version (the llama fixture with a tokenizer) and a "tuned" version of
// it (a small random PEFT adapter on every q_proj, so the outputs differ), registered in a workbench database.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { Prng } from '../../generate/index';
import { readModelConfig } from '../../models/index';
import { ModelsRepo } from '../../store/models-repo';
import { loraModules, safetensorsIO, writePeftAdapter } from '../../train/index';

export interface CompareModels {
  baseId: number;
  tunedId: number;
  baseName: string;
  tunedName: string;
  modelDir: string;
  adapterDir: string;
  dispose(): void;
}

/** A rank-2 adapter with random A and B (seeded), scale 2: large enough to change what the model samples. */
export async function writeRandomAdapter(modelDir: string, dir: string, seed = 1): Promise<void> {
  const config = readModelConfig(modelDir);
  const r = 2;
  const rng = Prng.fromSeed(seed);
  const random = (length: number) => Float32Array.from({ length }, () => (rng.nextFloat() - 0.5) * 1.5);
  const modules = Object.fromEntries(
    loraModules(config, ['q_proj']).map((m) => [
      m.module,
      {
        inFeatures: m.inFeatures,
        outFeatures: m.outFeatures,
        a: random(r * m.inFeatures),
        b: random(m.outFeatures * r),
      },
    ]),
  );
  await writePeftAdapter(
    dir,
    { baseModel: modelDir, r, alpha: 4, targetModules: ['q_proj'], fanInFanOut: false, modules },
    safetensorsIO,
  );
}

export async function registerCompareModels(
  db: Database.Database,
  names = { base: 'Basilisk-base', tuned: 'Tanager-tuned' },
): Promise<CompareModels> {
  const modelDir = writeCheckpointFixture();
  const adapterDir = join(modelDir, 'tuned-adapter');
  await writeRandomAdapter(modelDir, adapterDir);
  const repo = new ModelsRepo(db);
  const common = { architecture: 'llama', dtype: 'float32', parameterCount: null, config: null };
  const base = repo.insert({
    ...common,
    name: names.base,
    kind: 'imported',
    path: modelDir,
    adapterPath: null,
    parentId: null,
  });
  const tuned = repo.insert({
    ...common,
    name: names.tuned,
    kind: 'trained',
    path: '',
    adapterPath: adapterDir,
    parentId: base.id,
  });
  return {
    baseId: base.id,
    tunedId: tuned.id,
    baseName: names.base,
    tunedName: names.tuned,
    modelDir,
    adapterDir,
    dispose: () => rmSync(modelDir, { recursive: true, force: true }),
  };
}
