import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyCorpus } from '../models/tiny/corpus';
import { loadGenerator, type LoadedGenerator } from './onnx-decoder';
import { measureSet } from './tiny-eval';

const TINY_MODEL = join(import.meta.dirname, '..', '..', 'resources', 'tiny-model');

describe('measureSet on the committed tiny model', () => {
  let generator: LoadedGenerator;
  beforeAll(async () => {
    generator = await loadGenerator({ modelDir: TINY_MODEL, device: 'cpu', intraOpThreads: 1 });
  });
  afterAll(async () => generator?.close());

  it('judges greedy and sampled answers, per kind, and finds the trained model partly right', async () => {
    // every 60th training question: capitals, continents, currencies and arithmetic all appear
    const facts = buildTinyCorpus().train.filter((_, i) => i % 60 === 0);
    const options = { samples: 4, seed: 3, maxNewTokens: 24, trainStride: 1, promptsPerBatch: 16 };
    const { set, greedyTexts } = await measureSet(generator, facts, options);
    expect(set.questions).toBe(facts.length);
    expect(set.sampled.answers).toBe(facts.length * 4);
    const kinds = Object.values(set.greedy.byKind);
    expect(kinds.length).toBe(4);
    expect(kinds.reduce((n, k) => n + k.right, 0)).toBe(set.greedy.right);
    expect(Object.values(set.sampled.byKind).reduce((n, k) => n + k.answers, 0)).toBe(set.sampled.answers);
    // greedy texts are answers in the corpus's form, and a fair share of them are right
    expect(greedyTexts.filter((t) => / is | uses the | = /.test(t)).length).toBeGreaterThan(
      facts.length * 0.8,
    );
    expect(set.greedy.accuracy).toBeGreaterThan(0.1);
    expect(set.sampled.distinctPerQuestion).toBeGreaterThan(1);
  }, 60_000);
});
