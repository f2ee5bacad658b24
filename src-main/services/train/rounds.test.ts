// A round trained from a tuned version (the app's path: loadRunInput with the version's adapter): training
// starts from that adapter and the reference is base + that adapter, whose log-probs are PyTorch's
// (dpo-step.json's policy log-probs are exactly base + this adapter) and are cached under the reference's own
// hash, apart from the base's entries of the same sequences.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { loadCheckpoint } from '../../models/index';
import {
  loraModules,
  modelHash,
  paramNameA,
  paramNameB,
  resolveTrainArgs,
  safetensorsIO,
  toPeftAdapter,
  trainDpo,
  writePeftAdapter,
  type CachedLogp,
  type LoraState,
  type ReferenceLogpCache,
} from '../../train/index';
import { loadRunInput, TRAIN_FILE } from './run-files';

const FIXTURE = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'train', 'fixtures', 'dpo-step.json'), 'utf8'),
) as {
  r: number;
  alpha: number;
  pairs: object[];
  policy_logps: number[][];
  reference_logps: number[][];
  adapter_before: Record<string, { A: number[]; B: number[] }>;
};
const TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

let modelDir: string;
let adapterDir: string;
let runDir: string;

beforeAll(async () => {
  modelDir = writeCheckpointFixture();
  adapterDir = join(modelDir, 'round-1');
  runDir = join(modelDir, 'run-2');
  mkdirSync(runDir);
  writeFileSync(join(runDir, TRAIN_FILE), FIXTURE.pairs.map((p) => JSON.stringify(p)).join('\n'));
  const state: LoraState = new Map();
  for (const [module, { A, B }] of Object.entries(FIXTURE.adapter_before)) {
    state.set(paramNameA(module), Float32Array.from(A));
    state.set(paramNameB(module), Float32Array.from(B));
  }
  const config = loadCheckpoint(modelDir).config;
  const adapter = toPeftAdapter(state, loraModules(config, TARGETS), {
    r: FIXTURE.r,
    alpha: FIXTURE.alpha,
    targetModules: TARGETS,
    baseModel: modelDir,
    fanInFanOut: false,
  });
  await writePeftAdapter(adapterDir, adapter, safetensorsIO);
});
afterAll(() => rmSync(modelDir, { recursive: true, force: true }));

/** A cache that records what was stored, per model hash. */
function recordingCache() {
  const stored = new Map<string, Map<string, CachedLogp>>();
  const cache: ReferenceLogpCache = {
    get: (hash, keys) => {
      const entries = stored.get(hash) ?? new Map<string, CachedLogp>();
      return Promise.resolve(new Map(keys.flatMap((k) => (entries.has(k) ? [[k, entries.get(k)!]] : []))));
    },
    put: (hash, entries) => {
      stored.set(hash, new Map([...(stored.get(hash) ?? []), ...entries]));
      return Promise.resolve();
    },
  };
  return { stored, cache };
}

describe('a round trained from the previous round', () => {
  it('uses base + the previous adapter as the reference, with log-probs cached apart from the base', async () => {
    const input = await loadRunInput(modelDir, adapterDir, runDir);
    expect(input.referenceModel).toBeDefined();
    expect(input.initAdapter?.r).toBe(FIXTURE.r);
    const { stored, cache } = recordingCache();
    const args = resolveTrainArgs({
      evalSplit: 0,
      device: 'cpu',
      optimizer: 'sgd',
      batchSize: 3,
      maxSteps: 1,
    });
    const result = await trainDpo({
      model: input.model,
      examples: input.examples,
      padTokenId: input.padTokenId,
      outDir: join(modelDir, 'out-round-2'),
      args,
      initAdapter: input.initAdapter!,
      referenceModel: input.referenceModel!,
      referenceCache: cache,
    });
    // The policy starts as its reference: every implicit reward is 0 and the loss is log 2.
    expect(result.last?.loss).toBeCloseTo(Math.LN2, 5);
    expect(result.last?.['rewards/margins']).toBeCloseTo(0, 5);
    const baseHash = modelHash(input.model);
    const referenceHash = modelHash(input.referenceModel!);
    expect(referenceHash).not.toBe(baseHash);
    expect([...stored.keys()]).toEqual([referenceHash]);
    // The cached reference log-probs are PyTorch's base + adapter ones, not the base's.
    const cached = [...stored.get(referenceHash)!.values()].map((c) => c.logp).sort((a, b) => a - b);
    const pytorch = FIXTURE.policy_logps.flat().sort((a, b) => a - b);
    cached.forEach((logp, i) => expect(logp).toBeCloseTo(pytorch[i]!, 4));
    const base = FIXTURE.reference_logps.flat().sort((a, b) => a - b);
    expect(Math.max(...cached.map((c, i) => Math.abs(c - base[i]!)))).toBeGreaterThan(1e-2);

    // A run with the base as reference scores its own entries: nothing of the round's is reused.
    const fromBase = await trainDpo({
      model: input.model,
      examples: input.examples,
      padTokenId: input.padTokenId,
      outDir: join(modelDir, 'out-from-base'),
      args,
      referenceCache: cache,
      onStart: (info) => expect([info.cachedPairs, info.scoredPairs]).toEqual([0, 3]),
    });
    expect(fromBase.status).toBe('completed');
    expect([...stored.keys()].sort()).toEqual([baseHash, referenceHash].sort());
  });
});
