// Reference log-probs from a cache (a second run scores nothing and trains to the same adapter), keys that
// follow truncation, the first step scoring its own pairs, a dataset's own split, pair weights (exact under
// accumulation) and the SFT term.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../models/index';
import type { PairExample } from './collate';
import { LLAMA_TARGET_MODULES } from './lora';
import { initLoraState, loraModules } from './lora-modules';
import {
  baseReferenceState,
  modelHash,
  pairKeys,
  referenceHash,
  referenceLogps,
  type CachedLogp,
  type ReferenceLogpCache,
  type ReferenceModel,
} from './reference-logps';
import { Rng } from './rng';
import { resolveTrainArgs, type TrainArgs } from './train-args';
import { trainDpo, type TrainDpoInput, type TrainStartInfo } from './trainer';

const MODEL = loadCheckpoint(join(import.meta.dirname, '..', 'models', 'fixtures', 'llama'));
const PAIRS: PairExample[] = [
  { prompt: [1, 5, 6, 7], chosen: [10, 11, 2], rejected: [50, 2] },
  { prompt: [1, 8, 9], chosen: [12, 13, 14, 2], rejected: [51, 52, 2] },
  { prompt: [1, 20], chosen: [15, 2], rejected: [53, 54, 55, 2] },
  { prompt: [1, 30, 31], chosen: [44, 45, 2], rejected: [46, 2] },
];

/** The SQLite table's behaviour in memory, counting what it is asked. */
class MemoryCache implements ReferenceLogpCache {
  readonly rows = new Map<string, CachedLogp>();
  asked = 0;
  get(model: string, keys: readonly string[]) {
    this.asked += keys.length;
    const found = new Map<string, CachedLogp>();
    for (const k of keys) {
      const row = this.rows.get(`${model}/${k}`);
      if (row) found.set(k, row);
    }
    return Promise.resolve(found);
  }
  put(model: string, entries: ReadonlyMap<string, CachedLogp>) {
    for (const [k, v] of entries) this.rows.set(`${model}/${k}`, v);
    return Promise.resolve();
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function run(args: Partial<TrainArgs>, extra: Partial<TrainDpoInput> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dpo-ref-'));
  dirs.push(dir);
  let info: TrainStartInfo | undefined;
  const result = await trainDpo({
    model: MODEL,
    examples: PAIRS,
    outDir: dir,
    args: resolveTrainArgs({ evalSplit: 0, device: 'cpu', lr: 1e-2, schedule: 'constant', ...args }),
    onStart: (i) => (info = i),
    ...extra,
  });
  return { result, info: info as TrainStartInfo };
}

const same = (a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean =>
  [...a].every(([k, x]) => x.every((v, i) => v === b.get(k)?.[i]));

describe('reference log-prob cache', () => {
  it('a second run takes every reference log-prob from the cache and trains to the same adapter', async () => {
    const cache = new MemoryCache();
    const first = await run({ batchSize: 2, maxSteps: 2 }, { referenceCache: cache });
    expect([first.info.cachedPairs, first.info.scoredPairs]).toEqual([0, 4]);
    expect(cache.rows.size).toBe(8); // every chosen and rejected sequence
    const second = await run({ batchSize: 2, maxSteps: 2 }, { referenceCache: cache });
    expect([second.info.cachedPairs, second.info.scoredPairs]).toEqual([4, 0]);
    expect(same(first.result.state, second.result.state)).toBe(true);
    const uncached = await run({ batchSize: 2, maxSteps: 2 });
    expect(same(first.result.state, uncached.result.state)).toBe(true);
  });

  it('keys follow truncation and the model: a shorter max length or other weights miss the cache', () => {
    const [c, r] = pairKeys(PAIRS[0] as PairExample, undefined);
    expect(c).not.toBe(r);
    expect(pairKeys(PAIRS[0] as PairExample, 100)).toEqual([c, r]);
    expect(pairKeys(PAIRS[0] as PairExample, 4)[0]).not.toBe(c);
    const weights = new Map(MODEL.weights);
    const [name, t] = [...weights][0] as [string, { dims: number[]; data: Float32Array }];
    const changed = Float32Array.from(t.data);
    changed[0] = (changed[0] as number) + 1;
    weights.set(name, { dims: t.dims, data: changed });
    expect(modelHash({ config: MODEL.config, weights })).not.toBe(modelHash(MODEL));
    expect(modelHash(MODEL)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('reference choice and the cache', () => {
  const modules = loraModules(MODEL.config, LLAMA_TARGET_MODULES);
  const lora = { r: 2, alpha: 4 };
  const adapter = initLoraState(modules, 2, new Rng(7));
  for (const [name, data] of adapter) if (name.endsWith('lora_B.weight')) data.fill(0.01); // a trained B
  const initAdapter = { ...lora, targetModules: [...LLAMA_TARGET_MODULES], state: adapter };
  const ref = (kind: 'base' | 'init', state = adapter): ReferenceModel => ({
    kind,
    config: MODEL.config,
    weights: MODEL.weights,
    modules,
    lora,
    state,
  });

  it('base and init references, and two starting adapters, never share a cache key', () => {
    const base = referenceHash(ref('base'));
    expect(referenceHash(ref('base', baseReferenceState(adapter)))).toBe(base); // the base ignores the adapter
    expect(base).not.toBe(modelHash(MODEL)); // rows of the older scoring graph stay apart
    const init = referenceHash(ref('init'));
    expect(init).not.toBe(base);
    const other = new Map(adapter);
    other.set(
      [...adapter.keys()][1] as string,
      new Float32Array(adapter.get([...adapter.keys()][1] as string)!.length),
    );
    expect(referenceHash(ref('init', other))).not.toBe(init);
    expect(referenceHash({ ...ref('init'), lora: { r: 2, alpha: 8 } })).not.toBe(init);
  });

  it('a run with the other reference scores again: the cache does not mix them', async () => {
    const cache = new MemoryCache();
    const base = await run(
      { batchSize: 4, maxSteps: 1, reference: 'base' },
      { referenceCache: cache, initAdapter },
    );
    const init = await run(
      { batchSize: 4, maxSteps: 1, reference: 'init' },
      { referenceCache: cache, initAdapter },
    );
    expect([base.info.scoredPairs, init.info.scoredPairs]).toEqual([4, 4]);
    expect(cache.rows.size).toBe(16);
    expect(init.result.last?.['rewards/margins']).toBe(0);
    expect(base.result.last?.['rewards/margins']).not.toBe(0);
    const again = await run(
      { batchSize: 4, maxSteps: 1, reference: 'init' },
      { referenceCache: cache, initAdapter },
    );
    expect([again.info.cachedPairs, again.info.scoredPairs]).toEqual([4, 0]);
    expect(again.result.last?.loss).toBe(init.result.last?.loss);
  });
});

describe("the first step scores its own pairs' reference", () => {
  it('as a separate reference pass does (same numbers into the cache), and the step starts from h = 0', async () => {
    const cache = new MemoryCache();
    const rows: Record<string, number>[] = [];
    const first = await run(
      { batchSize: 2, maxSteps: 2 },
      { referenceCache: cache, onLog: (row) => rows.push(row) },
    );
    expect([first.info.cachedPairs, first.info.scoredPairs]).toEqual([0, 4]);
    expect(cache.rows.size).toBe(8); // 2 pairs from the first step, 2 from the pass before it
    // the policy is its own reference in the first step: every reward and the margin exactly 0, loss ln 2
    expect([rows[0]?.['rewards/chosen'], rows[0]?.['rewards/margins']]).toEqual([0, 0]);
    expect(rows[0]?.loss).toBe(Math.fround(Math.log(2)));
    // every pair scored by a separate pass of the reference graph, as before the first step learned it
    const modules = loraModules(MODEL.config, LLAMA_TARGET_MODULES);
    const separate = await referenceLogps(
      {
        kind: 'base',
        config: MODEL.config,
        weights: MODEL.weights,
        modules,
        lora: { r: 8, alpha: 16 },
        state: baseReferenceState(initLoraState(modules, 8, new Rng(1))),
      },
      PAIRS,
      { collate: { padTokenId: 0, maxLength: 1024 }, batchSize: 4, device: 'cpu', headChunks: 1 },
    );
    const hash = [...cache.rows.keys()][0]?.split('/')[0] as string;
    PAIRS.forEach((pair, i) => {
      pairKeys(pair, 1024).forEach((key, side) => {
        const cached = cache.rows.get(`${hash}/${key}`)?.logp as number;
        const expected = separate.refs[i]?.[side] as number;
        expect(Math.abs(cached - expected)).toBeLessThanOrEqual(1e-5 * Math.abs(expected));
      });
    });
  });

  it('with every pair in the first step there is no reference pass before it', async () => {
    const events: string[] = [];
    const cache = new MemoryCache();
    const put = cache.put.bind(cache);
    cache.put = (model, entries) => {
      events.push(`put ${entries.size}`);
      return put(model, entries);
    };
    await run(
      { batchSize: 4, maxSteps: 1 },
      { referenceCache: cache, onStart: () => events.push('start'), onLog: () => events.push('step') },
    );
    expect(events).toEqual(['start', 'put 8', 'step']); // scored by the step, stored before its row is logged
  });
});

describe('what the app adds to a run', () => {
  it("trains on a dataset's own split and evaluates on its eval pairs", async () => {
    const rows: Record<string, number>[] = [];
    const { info } = await run(
      { batchSize: 3, maxSteps: 1 },
      { split: { train: [0, 1, 2], eval: [3] }, onLog: (row) => rows.push(row) },
    );
    expect([info.trainPairs, info.evalPairs]).toEqual([3, 1]);
    expect(rows[0]?.eval_loss).toBeGreaterThan(0);
    await expect(run({ maxSteps: 1 }, { split: { train: [0, 0], eval: [] } })).rejects.toThrow(
      /split: the train and eval indices must be distinct/,
    );
  });

  it('pair weights: equal weights change nothing; unequal ones are exact under accumulation', async () => {
    const plain = await run({ batchSize: 4, maxSteps: 1 });
    const ones = await run(
      { batchSize: 4, maxSteps: 1, pairWeights: true },
      { examples: PAIRS.map((p) => ({ ...p, weight: 2 })) },
    );
    expect(ones.result.last?.loss).toBeCloseTo(plain.result.last?.loss as number, 6);
    const weighted = PAIRS.map((p, i) => ({ ...p, weight: [3, 1, 0.5, 2][i] as number }));
    const fused = await run({ batchSize: 4, maxSteps: 2, pairWeights: true }, { examples: weighted });
    const accum = await run(
      { batchSize: 4, gradAccum: 2, maxSteps: 2, pairWeights: true },
      { examples: weighted },
    );
    expect(fused.result.last?.loss).not.toBeCloseTo(plain.result.last?.loss as number, 3);
    expect(accum.result.last?.loss).toBeCloseTo(fused.result.last?.loss as number, 6);
    let worst = 0;
    for (const [k, x] of fused.result.state)
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (accum.result.state.get(k)?.[i] ?? 0)))));
    expect(worst).toBeLessThan(1e-5);
  });

  it('the SFT term adds its weight times the token-mean NLL of the chosen completions', async () => {
    const plain = await run({ batchSize: 4, maxSteps: 1 });
    const sft = await run({ batchSize: 4, maxSteps: 1, sftWeight: 0.5 });
    const row = plain.result.last as Record<string, number>;
    const chosenTokens = PAIRS.reduce((a, p) => a + p.chosen.length, 0);
    const nll = (-(row['logps/chosen'] as number) * PAIRS.length) / chosenTokens;
    expect(sft.result.last?.loss).toBeCloseTo((row.loss as number) + 0.5 * nll, 5);
  });
});
