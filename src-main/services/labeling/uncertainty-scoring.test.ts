// The uncertainty strategy end to end on a small random Llama with a tokenizer: implicit rewards of a tuned
// version (base + PEFT adapter) against the base's own scores, the log-prob fallback for an untuned version,
// and createPairs storing the smallest-margin pairs with what they were computed from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiContract } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { loadCheckpoint, ModelTokenizer } from '../../models/index';
import { buildTinyCorpus } from '../../models/tiny/corpus';
import {
  tinyModelConfig,
  trainTinyTokenizer,
  writeTinyCheckpoint,
  type TinyShape,
} from '../../models/tiny/tiny-checkpoint';
import { loraModules, toPeftAdapter, tokenizeRow, writePeftAdapter } from '../../train/index';
import { defaultTargetModules } from '../../train/lora';
import { initLoraState } from '../../train/lora-modules';
import { Rng } from '../../train/rng';
import { initTinyWeights } from '../../train/tiny-model';
import { safetensorsIO } from '../../train/trainer';
import { ModelsRepo } from '../../store/models-repo';
import { scoreExamples } from '../train/logprobs-job';
import { openWorkbench, type Workbench } from '../open-workbench';
import { scoreCandidateRewards } from './uncertainty-scoring';

const SHAPE: TinyShape = {
  vocabSize: 300,
  hiddenSize: 32,
  intermediateSize: 64,
  numLayers: 1,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 128,
};
const PROMPT = 'What is the capital of France?';
const TEXTS = ['Paris.', 'Lyon, I think.', 'It is Paris.', 'Marseille.', 'paris.'];

let dir: string;
let modelDir: string;
let adapterDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uncertainty-'));
  modelDir = join(dir, 'base');
  adapterDir = join(dir, 'adapter');
  const config = tinyModelConfig(SHAPE);
  writeTinyCheckpoint(modelDir, {
    shape: SHAPE,
    weights: initTinyWeights(config, 3),
    tokenizer: trainTinyTokenizer(buildTinyCorpus().train.slice(0, 40), SHAPE.vocabSize),
  });
  // A trained-looking adapter: A as PEFT initialises it, B random (a fresh B of zeros changes nothing).
  const targets = defaultTargetModules('llama');
  const modules = loraModules(config, targets);
  const rng = new Rng(5);
  const state = initLoraState(modules, 4, rng);
  for (const [name, data] of state)
    if (name.endsWith('lora_B.weight')) for (let i = 0; i < data.length; i++) data[i] = rng.next() - 0.5;
  const adapter = toPeftAdapter(state, modules, {
    r: 4,
    alpha: 8,
    targetModules: targets,
    baseModel: modelDir,
    fanInFanOut: false,
  });
  await writePeftAdapter(adapterDir, adapter, safetensorsIO);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const candidates = TEXTS.slice(0, 4).map((text, i) => ({ id: i + 1, text }));

/** Each candidate's log-prob scored alone (the candidate against itself), with or without the adapter. */
async function aloneLogps(withAdapter: boolean): Promise<number[]> {
  const model = loadCheckpoint(modelDir);
  const tokenizer = ModelTokenizer.load(modelDir, {
    vocabSize: model.config.vocabSize,
    eosTokenIds: model.config.eosTokenIds,
  });
  const examples = candidates.map((c) =>
    tokenizeRow({ prompt: PROMPT, chosen: c.text, rejected: c.text }, tokenizer, 'test'),
  );
  const { rows } = await scoreExamples(model, examples, {
    padTokenId: 0,
    device: 'cpu',
    ...(withAdapter ? { adapterDir } : {}),
  });
  return rows.map((r) => r.chosenLogp);
}

describe('scoreCandidateRewards', () => {
  it('a tuned version: beta * (policy log-prob - base log-prob) for each candidate', async () => {
    const [policy, reference] = [await aloneLogps(true), await aloneLogps(false)];
    const scored = await scoreCandidateRewards({
      model: { modelDir, adapterDir },
      prompt: PROMPT,
      promptMessages: null,
      candidates,
      beta: 0.1,
      device: 'cpu',
    });
    expect(scored.basis).toBe('implicit_reward');
    expect(scored.note).toBeNull();
    candidates.forEach((c, i) => {
      const expected = 0.1 * ((policy[i] as number) - (reference[i] as number));
      expect(scored.rewards.get(c.id)).toBeCloseTo(expected, 4);
    });
    expect(new Set([...scored.rewards.values()].map((r) => r.toFixed(6))).size).toBe(4);
    expect([...scored.rewards.values()].some((r) => Math.abs(r) > 1e-3)).toBe(true);
  });

  it('an untuned version: the sequence log-prob itself, and a note that says so', async () => {
    const reference = await aloneLogps(false);
    const odd = candidates.slice(0, 3); // an odd count: the last one is scored against itself
    const scored = await scoreCandidateRewards({
      model: { modelDir },
      prompt: PROMPT,
      promptMessages: null,
      candidates: odd,
      beta: 0.1,
      device: 'cpu',
    });
    expect(scored.basis).toBe('logp');
    expect(scored.note).toMatch(/not tuned.*log-probs/);
    odd.forEach((c, i) => expect(scored.rewards.get(c.id)).toBeCloseTo(reference[i] as number, 4));
  });
});

describe('createPairs with the uncertainty strategy', () => {
  let workbench: Workbench;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uncertainty-app-'));
    workbench = openWorkbench({ dataDir, transport: 'http' });
    const rows = [
      { prompt: PROMPT, chosen: TEXTS[0], rejected: TEXTS[1] },
      { prompt: PROMPT, chosen: TEXTS[2], rejected: TEXTS[3] },
      { prompt: PROMPT, chosen: TEXTS[3], rejected: TEXTS[4] },
    ];
    await workbench.services.importFile(
      apiContract.importFile.input.parse({
        fileName: 'p.jsonl',
        content: rows.map((r) => JSON.stringify(r)).join('\n'),
      }),
    );
  });

  afterAll(() => {
    workbench.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const createPairs = (input: Record<string, unknown>) =>
    workbench.services.createPairs(apiContract.createPairs.input.parse({ promptId: 1, ...input }));

  it('stores the pairs nearest a zero margin under the tuned version, near-duplicates dropped', async () => {
    // A second connection registers the versions (the app does this when it imports or trains a model).
    const { openDatabase } = await import('../../store/open-database');
    const { db } = openDatabase(dataDir);
    const models = new ModelsRepo(db);
    const common = { architecture: null, dtype: null, parameterCount: null, config: null };
    const base = models.insert({
      ...common,
      name: 'base',
      kind: 'imported',
      path: modelDir,
      adapterPath: null,
      parentId: null,
    });
    const tuned = models.insert({
      ...common,
      name: 'tuned',
      kind: 'trained',
      path: '',
      adapterPath: adapterDir,
      parentId: base.id,
    });
    db.close();

    const result = await createPairs({ strategy: 'uncertainty', modelId: tuned.id, count: 2 });
    expect(result.candidatesDropped).toHaveLength(1); // 'paris.' repeats 'Paris.'
    const u = result.uncertainty;
    expect(u?.basis).toBe('implicit_reward');
    expect(u?.rewards).toHaveLength(4);
    const rewards = new Map(u?.rewards.map((r) => [r.candidateId, r.reward]));
    const all = [...rewards.keys()].flatMap((a, i) =>
      [...rewards.keys()]
        .slice(i + 1)
        .map((b) => Math.abs((rewards.get(a) as number) - (rewards.get(b) as number))),
    );
    const smallest = all.sort((x, y) => x - y).slice(0, 2);
    expect(u?.margins.map((m) => m.margin)).toEqual(smallest.map((m) => expect.closeTo(m, 9)));
    expect(result.pairsAdded + result.duplicatesSkipped).toBe(2); // a pair may already be stored by the import

    const untuned = await createPairs({ strategy: 'uncertainty', modelId: base.id, count: 1 });
    expect(untuned.uncertainty).toMatchObject({ modelId: base.id, basis: 'logp' });
    expect(untuned.uncertainty?.note).toMatch(/not tuned/);
  });

  it('names a missing or unknown model version', async () => {
    await expect(createPairs({ strategy: 'uncertainty' })).rejects.toThrow(
      new ApiError('invalid_input', 'modelId: the uncertainty strategy needs a model version'),
    );
    await expect(createPairs({ strategy: 'uncertainty', modelId: 99 })).rejects.toThrow(
      /no model with id 99/,
    );
  });
});
