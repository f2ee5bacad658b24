// A round trained from a tuned version (the app's path: loadRunInput with the version's adapter): training
// starts from that adapter and, by default, the reference is base + that adapter, whose log-probs are
// PyTorch's (dpo-step.json's policy log-probs are exactly base + this adapter), cached under their own key,
// apart from the base's entries of the same sequences (reference 'base' scores and stores its own).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { loadCheckpoint } from '../../models/index';
import {
  loraModules,
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
    expect(input.initAdapter?.r).toBe(FIXTURE.r);
    const { stored, cache } = recordingCache();
    const run = (reference: 'init' | 'base', out: string) =>
      trainDpo({
        model: input.model,
        examples: input.examples,
        padTokenId: input.padTokenId,
        outDir: join(modelDir, out),
        args: resolveTrainArgs({
          evalSplit: 0,
          device: 'cpu',
          optimizer: 'sgd',
          batchSize: 3,
          maxSteps: 1,
          reference,
        }),
        initAdapter: input.initAdapter!,
        referenceCache: cache,
        onStart: (info) => expect([info.cachedPairs, info.scoredPairs]).toEqual([0, 3]),
      });
    const sorted = (xs: Iterable<CachedLogp>) => [...xs].map((c) => c.logp).sort((a, b) => a - b);
    const expectLogps = (actual: number[], pytorch: number[][]) => {
      const expected = pytorch.flat().sort((a, b) => a - b);
      actual.forEach((logp, i) => expect(logp).toBeCloseTo(expected[i]!, 4));
    };

    // Reference = the previous round (the default, 'init'): the policy starts as its reference, a tie.
    const round = await run('init', 'out-round-2');
    expect(result(round).loss).toBeCloseTo(Math.LN2, 5);
    expect(result(round)['rewards/margins']).toBe(0);
    expect(stored.size).toBe(1);
    const [roundHash] = [...stored.keys()];
    // Its cached log-probs are PyTorch's base + adapter ones (dpo-step.json's policy log-probs).
    expectLogps(sorted(stored.get(roundHash!)!.values()), FIXTURE.policy_logps);

    // Reference = the base: its own cache entries (nothing of the round's reused), PyTorch's base log-probs.
    await run('base', 'out-from-base');
    expect(stored.size).toBe(2);
    const baseHash = [...stored.keys()].find((k) => k !== roundHash)!;
    expectLogps(sorted(stored.get(baseHash)!.values()), FIXTURE.reference_logps);
  });
});

const result = (r: Awaited<ReturnType<typeof trainDpo>>) => r.last as Record<string, number>;
