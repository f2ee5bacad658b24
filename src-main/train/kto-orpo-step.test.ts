// One KTO and one ORPO step (LoRA, clip, SGD) against PyTorch float64 on the llama model fixture
// (scripts/train-fixtures/make_kto_orpo_step_fixtures.py): the logged metrics, grad_norm and every updated
// tensor; and ORPO opens no reference model.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../models/index';
import type { PairExample } from './collate';
import { tokenizeKtoRow, withKlCompletions } from './kto-data';
import type { ReferenceLogpCache } from './reference-logps';
import { maxDiff, stateOf } from './testing/step-fixture';
import { resolveTrainArgs, type TrainArgs } from './train-args';
import { trainDpo } from './trainer';

interface StepFixture {
  r: number;
  alpha: number;
  lr: number;
  max_grad_norm: number;
  beta: number;
  metrics: Record<string, number>;
  grad_norm: number;
  adapter_before: Record<string, { A: number[]; B: number[] }>;
  adapter_after: Record<string, { A: number[]; B: number[] }>;
  examples?: { prompt_ids: number[]; completion_ids: number[]; label: boolean }[];
  pairs?: { prompt_input_ids: number[]; chosen_input_ids: number[]; rejected_input_ids: number[] }[];
}

const read = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as StepFixture;
const MODEL = loadCheckpoint(join(import.meta.dirname, '..', 'models', 'fixtures', 'llama'));
const TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function oneStep(
  fixture: StepFixture,
  examples: PairExample[],
  args: Partial<TrainArgs>,
  cache?: ReferenceLogpCache,
) {
  const outDir = mkdtempSync(join(tmpdir(), 'kto-orpo-step-'));
  dirs.push(outDir);
  return trainDpo({
    model: MODEL,
    examples,
    outDir,
    args: resolveTrainArgs({
      evalSplit: 0,
      device: 'cpu',
      schedule: 'constant',
      optimizer: 'sgd',
      lr: fixture.lr,
      beta: fixture.beta,
      maxGradNorm: fixture.max_grad_norm,
      batchSize: examples.length,
      maxSteps: 1,
      ...args,
    }),
    initAdapter: {
      r: fixture.r,
      alpha: fixture.alpha,
      targetModules: TARGETS,
      state: stateOf(fixture.adapter_before),
    },
    ...(cache ? { referenceCache: cache } : {}),
  });
}

function expectStep(fixture: StepFixture, result: Awaited<ReturnType<typeof trainDpo>>) {
  const row = result.last as Record<string, number>;
  const logged = Object.keys(row).filter(
    (k) => !['step', 'epoch', 'grad_norm', 'learning_rate', 'tokens/s', 'adapter/max_abs'].includes(k),
  );
  expect(logged.sort()).toEqual(Object.keys(fixture.metrics).sort());
  for (const [name, value] of Object.entries(fixture.metrics)) expect(row[name], name).toBeCloseTo(value, 5);
  expect(row.grad_norm).toBeCloseTo(fixture.grad_norm, 5);
  expect(maxDiff(result.state, stateOf(fixture.adapter_after))).toBeLessThan(2e-6);
  expect(maxDiff(result.state, stateOf(fixture.adapter_before))).toBeGreaterThan(1e-4);
}

describe('one KTO step against PyTorch (TRL KTOTrainer)', () => {
  const fixture = read('kto-step.json');
  it('unpaired examples with their KL completions: metrics (kl included), grad_norm, every tensor', async () => {
    const unpaired = fixture.examples!.flatMap((row, i) => tokenizeKtoRow(row, undefined, `example ${i}`));
    // The fixture's reference is the base (TRL with ref_model = the base), not the starting adapter.
    const result = await oneStep(fixture, withKlCompletions(unpaired, 4), {
      method: 'kto',
      reference: 'base',
    });
    expectStep(fixture, result);
    expect(fixture.metrics.kl).toBeGreaterThanOrEqual(0);
  });
});

describe('one ORPO step against PyTorch (TRL ORPOTrainer)', () => {
  const fixture = read('orpo-step.json');
  const pairs = fixture.pairs!.map((p) => ({
    prompt: p.prompt_input_ids,
    chosen: p.chosen_input_ids,
    rejected: p.rejected_input_ids,
  }));
  it('odds ratio + NLL: metrics, grad_norm (clipped) and every tensor; no reference log-probs are asked for', async () => {
    let asked = 0;
    const cache: ReferenceLogpCache = {
      get: () => {
        asked += 1;
        return Promise.resolve(new Map());
      },
      put: () => Promise.resolve(),
    };
    const result = await oneStep(fixture, pairs, { method: 'orpo' }, cache);
    expectStep(fixture, result);
    expect(fixture.grad_norm).toBeGreaterThan(fixture.max_grad_norm);
    expect(asked).toBe(0);
  });
});
