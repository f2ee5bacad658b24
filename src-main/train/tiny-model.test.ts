import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, ModelTokenizer } from '../models/index';
import { Rng } from './rng';
import { buildTinyModel, lengthBucketedBatches, TINY_RECIPE, type TinyBuildOptions } from './tiny-model';

const TINY: TinyBuildOptions = {
  ...TINY_RECIPE,
  shape: {
    vocabSize: 300,
    hiddenSize: 16,
    intermediateSize: 32,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 1,
    maxPositions: 128,
  },
  steps: 3,
  batchSize: 4,
  warmupSteps: 1,
};

describe('buildTinyModel', () => {
  const root = mkdtempSync(join(tmpdir(), 'tiny-model-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the same bytes twice from the same recipe, and a checkpoint the loaders read', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const result = await buildTinyModel(a, TINY);
    await buildTinyModel(b, TINY);
    const files = readdirSync(a).sort();
    expect(files).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    for (const file of files)
      expect(readFileSync(join(b, file)).equals(readFileSync(join(a, file)))).toBe(true);
    expect(Number.isFinite(result.finalLoss)).toBe(true);

    const checkpoint = loadCheckpoint(a);
    expect(checkpoint.config.hiddenSize).toBe(16);
    const tokenizer = ModelTokenizer.load(a, {
      vocabSize: checkpoint.config.vocabSize,
      eosTokenIds: checkpoint.config.eosTokenIds,
    });
    expect(tokenizer.vocabSize).toBe(300);
  }, 120_000);

  it('changes the weights when the seed changes', async () => {
    const c = join(root, 'c');
    await buildTinyModel(c, { ...TINY, seed: TINY.seed + 1 });
    const a = readFileSync(join(root, 'a', 'model.safetensors'));
    expect(readFileSync(join(c, 'model.safetensors')).equals(a)).toBe(false);
    expect(
      readFileSync(join(c, 'tokenizer.json')).equals(readFileSync(join(root, 'a', 'tokenizer.json'))),
    ).toBe(true);
  }, 120_000);
});

describe('lengthBucketedBatches', () => {
  it('serves every row once per epoch, in batches of rows of like length', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({
      ids: Array.from({ length: 2 + ((i * 37) % 50) }, () => i),
      promptLength: 1,
    }));
    const batches = lengthBucketedBatches(rows, 4, new Rng(5));
    const epoch = Array.from({ length: 25 }, () => batches.next());
    expect(epoch.every((b) => b.length === 4)).toBe(true);
    const seen = epoch.flat().map((r) => r.ids[0]);
    expect(new Set(seen).size).toBe(100);
    // a window of 8 batches is sorted by length, so a batch spans far less than the full range of 2..51
    const spread = epoch.map((b) => b.at(-1)!.ids.length - b[0]!.ids.length);
    expect(spread.reduce((x, y) => x + y, 0) / spread.length).toBeLessThan(10); // unsorted: about 30
    expect(spread.every((s) => s >= 0)).toBe(true);
    // the next epoch is another order
    const next = Array.from({ length: 25 }, () => batches.next()).flat();
    expect(next.map((r) => r.ids[0])).not.toEqual(seen);
  });
});
