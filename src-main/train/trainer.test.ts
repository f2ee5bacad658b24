// The trainer against a float64 PyTorch step (scripts/train-fixtures/make_step_fixtures.py) on the llama
// model fixture, and its invariants: every tensor moves, accumulation equals one big batch, resume equals
// an unbroken run, and NaN stops the run keeping the last good checkpoint.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../models/index';
import { CHECKPOINT_WRITE_POINTS, readCheckpoint, type CheckpointWritePoint } from './checkpoint';
import type { PairExample } from './collate';
import { LLAMA_TARGET_MODULES } from './lora';
import { dpoLoss64 } from './losses';
import { initLoraState, loraModules } from './lora-modules';
import { Rng } from './rng';
import { examplesOf, LLAMA_FIXTURE, maxDiff, readStepFixture, stateOf } from './testing/step-fixture';
import { resolveTrainArgs, type TrainArgs } from './train-args';
import { NotFiniteError, trainDpo, type TrainDpoInput } from './trainer';

const FIXTURE = readStepFixture();
const MODEL = loadCheckpoint(LLAMA_FIXTURE);
const PAIRS = examplesOf(FIXTURE);
const FOUR: PairExample[] = [...PAIRS, { prompt: [1, 30, 31], chosen: [44, 45, 2], rejected: [46, 2] }];

const INIT = {
  r: FIXTURE.r,
  alpha: FIXTURE.alpha,
  targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  state: stateOf(FIXTURE.adapter_before),
};

const dirs: string[] = [];
const outDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'dpo-train-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(args: Partial<TrainArgs>, extra: Partial<TrainDpoInput> = {}) {
  return trainDpo({
    model: MODEL,
    examples: FOUR,
    outDir: outDir(),
    args: resolveTrainArgs({ evalSplit: 0, device: 'cpu', lr: 1e-3, schedule: 'constant', ...args }),
    ...extra,
  });
}

describe('one DPO step against PyTorch', () => {
  it('SGD from a given adapter, base reference: the loss, every metric, grad_norm and every updated tensor match', async () => {
    const result = await run(
      {
        optimizer: 'sgd',
        lr: FIXTURE.lr,
        maxGradNorm: FIXTURE.max_grad_norm,
        batchSize: 3,
        maxSteps: 1,
        reference: 'base',
      },
      { examples: PAIRS, initAdapter: INIT },
    );
    const row = result.last as Record<string, number>;
    for (const [name, value] of Object.entries(FIXTURE.metrics)) expect(row[name]).toBeCloseTo(value, 5);
    expect(row.grad_norm).toBeCloseTo(FIXTURE.grad_norm, 5);
    expect(FIXTURE.grad_norm).toBeGreaterThan(FIXTURE.max_grad_norm); // clipping is exercised
    expect(row.learning_rate).toBe(FIXTURE.lr);
    expect(maxDiff(result.state, stateOf(FIXTURE.adapter_after))).toBeLessThan(2e-6);
  });

  it.each([
    ['sigmoid', 0.1],
    ['robust', 0.1],
    ['hinge', 0],
    ['ipo', 0],
  ] as const)(
    '%s (label smoothing %s): the step reports the table loss of the PyTorch log-probs',
    async (loss, eps) => {
      const result = await run(
        { loss, labelSmoothing: eps, optimizer: 'sgd', batchSize: 3, maxSteps: 1, reference: 'base' },
        { examples: PAIRS, initAdapter: INIT },
      );
      const [policy, ref, counts] = [
        FIXTURE.policy_logps,
        FIXTURE.reference_logps,
        FIXTURE.completion_tokens,
      ];
      const expected = dpoLoss64(
        {
          policyChosen: policy.map((p) => p[0] as number),
          policyRejected: policy.map((p) => p[1] as number),
          refChosen: ref.map((p) => p[0] as number),
          refRejected: ref.map((p) => p[1] as number),
          chosenLengths: counts.map((c) => c[0] as number),
          rejectedLengths: counts.map((c) => c[1] as number),
        },
        { type: loss, beta: FIXTURE.beta, labelSmoothing: eps },
      ).metrics;
      for (const [name, value] of Object.entries(expected))
        expect(result.last?.[name], name).toBeCloseTo(value, 4);
    },
  );

  it("the starting adapter as reference (TRL's default with an adapter): step 1 has loss ln 2 and zero rewards", async () => {
    const dir = outDir();
    const result = await run(
      { optimizer: 'sgd', lr: FIXTURE.lr, batchSize: 3, maxSteps: 1 },
      { examples: PAIRS, initAdapter: INIT, outDir: dir },
    );
    const row = result.last as Record<string, number>;
    expect(row.loss).toBeCloseTo(Math.log(2), 6);
    expect([row['rewards/chosen'], row['rewards/rejected'], row['rewards/margins']]).toEqual([0, 0, 0]);
    expect(row['rewards/accuracies']).toBe(0); // ties are not wins, as TRL's strict >
    // The policy's log-probs are the adapter's (the fixture's), not the base's.
    const mean = (k: 0 | 1) => FIXTURE.policy_logps.reduce((a, p) => a + (p[k] as number), 0) / 3;
    expect(row['logps/chosen']).toBeCloseTo(mean(0), 4);
    expect(row['logps/rejected']).toBeCloseTo(mean(1), 4);
    const resolved = JSON.parse(readFileSync(join(dir, 'training_args.json'), 'utf8')) as {
      reference: string;
    };
    expect(resolved.reference).toBe('init');
  });

  it('a fresh adapter (B = 0) scores exactly its reference: rewards 0 and accuracies 0, as in TRL', async () => {
    for (const batchSize of [3, 2]) {
      const dir = outDir();
      const result = await run(
        { optimizer: 'sgd', batchSize, gradAccum: batchSize === 2 ? 2 : 1, maxSteps: 1, reference: 'init' },
        { examples: batchSize === 3 ? PAIRS : FOUR, outDir: dir },
      );
      const row = result.last as Record<string, number>;
      expect(row['rewards/margins'], `batch ${batchSize}`).toBe(0);
      expect(row['rewards/accuracies'], `batch ${batchSize}`).toBe(0);
      expect(row.loss).toBeCloseTo(Math.log(2), 6);
      const resolved = JSON.parse(readFileSync(join(dir, 'training_args.json'), 'utf8')) as {
        reference: string;
      };
      expect(resolved.reference).toBe('base'); // no starting adapter: init means the base model
    }
  });

  it('every trainable tensor changes after one step from a nonzero-B adapter', async () => {
    const result = await run(
      { optimizer: 'adamw', batchSize: 3, maxSteps: 1 },
      { examples: PAIRS, initAdapter: INIT },
    );
    expect(result.state.size).toBe(2 * 2 * 7);
    for (const [name, before] of INIT.state) {
      const after = result.state.get(name) as Float32Array;
      expect(
        after.some((v, i) => v !== before[i]),
        name,
      ).toBe(true);
    }
  });

  it('from a fresh adapter (B = 0) the first step moves every B and no A: dL/dA = scale B^T (dL/dy)^T x = 0', async () => {
    const result = await run(
      { optimizer: 'adamw', batchSize: 3, maxSteps: 1, loraR: 2 },
      { examples: PAIRS },
    );
    const rng = new Rng(42); // the trainer's draws: the eval split's permutation, then the LoRA init
    rng.permutation(PAIRS.length);
    const init = initLoraState(loraModules(MODEL.config, LLAMA_TARGET_MODULES), 2, rng);
    for (const [name, before] of init) {
      const after = result.state.get(name) as Float32Array;
      const moved = after.some((v, i) => v !== before[i]);
      expect([name, moved]).toEqual([name, name.endsWith('lora_B.weight')]);
    }
  });
});

describe('trainer invariants', () => {
  it('batch 4 x 1 equals batch 1 x 4 with gradient accumulation (AdamW, clipping, 2 steps)', async () => {
    const args = { optimizer: 'adamw' as const, lr: 1e-2, batchSize: 4, maxSteps: 2, maxGradNorm: 0.05 };
    const one = await run({ ...args, gradAccum: 1 }, { initAdapter: INIT });
    const four = await run({ ...args, gradAccum: 4 }, { initAdapter: INIT });
    expect(four.last?.loss).toBeCloseTo(one.last?.loss as number, 6);
    expect(four.last?.grad_norm).toBeCloseTo(one.last?.grad_norm as number, 6);
    expect(maxDiff(one.state, four.state)).toBeLessThan(1e-5); // float32 sums in another order
    expect(maxDiff(one.state, INIT.state)).toBeGreaterThan(1e-3);
  });

  it('6 steps equal 3 steps, a stop, and a resume of 3 (epochs cross, cosine with warmup)', async () => {
    const args = { lr: 1e-2, batchSize: 2, maxSteps: 6, schedule: 'cosine' as const, warmupRatio: 0.2 };
    const whole = await run(args);
    const dir = outDir();
    const controller = new AbortController();
    const first = await run(args, {
      outDir: dir,
      signal: controller.signal,
      onLog: (row) => row.step === 3 && controller.abort(),
    });
    expect([first.status, first.steps]).toEqual(['cancelled', 3]);
    const resumed = await run(args, { outDir: dir, resume: true });
    expect([resumed.status, resumed.steps]).toEqual(['completed', 6]);
    expect(maxDiff(whole.state, resumed.state)).toBe(0);
    const steps = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('killed at every point of a checkpoint write, one kill after another, then resumed: the same adapter, one metrics row per step, no stale files', async () => {
    const args = { lr: 1e-2, batchSize: 2, maxSteps: 4, checkpointEvery: 1 };
    const whole = await run(args);
    const dir = outDir();
    // One run per point, each killed (as kill -9 would: nothing after it runs) in its first checkpoint
    // write and resumed by the next; consecutive kills include .prev-only followed by a kill mid-write.
    for (const point of CHECKPOINT_WRITE_POINTS) {
      const checkpointWrite = {
        fault: (at: CheckpointWritePoint) => {
          if (at === point) throw new Error(`killed at ${point}`);
        },
      };
      await expect(run(args, { outDir: dir, checkpointWrite })).rejects.toThrow(`killed at ${point}`);
      if (point === 'tensors-written') appendFileSync(join(dir, 'metrics.jsonl'), '{"step": 3, "lo'); // torn
    }
    const resumed = await run(args, { outDir: dir });
    expect([resumed.status, resumed.steps]).toEqual(['completed', 4]);
    expect(maxDiff(whole.state, resumed.state)).toBe(0);
    const steps = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(readdirSync(dir).filter((name) => /^checkpoint\.|\.tmp-/.test(name))).toEqual([]);
  });

  it('warns before step 1 about settings nobody uses, and flags a loss stuck at ln 2 (chosen = rejected)', async () => {
    const warnings: string[] = [];
    const same = FOUR.map((pair) => ({ ...pair, rejected: pair.chosen }));
    const result = await run(
      { maxGradNorm: 1000, batchSize: 2, maxSteps: 10 },
      { examples: same, onWarning: (message) => warnings.push(message) },
    );
    expect(result.last?.loss).toBeCloseTo(Math.LN2, 6);
    expect(result.last?.['adapter/max_abs']).toBeGreaterThan(0);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^--max-grad-norm 1000 is outside what DPO fine-tunes use/);
    expect(warnings[1]).toMatch(/^the loss has stayed at ln 2 = 0\.6931 for 10 steps/);
  });

  it('NaN or Inf stops the run with a message and keeps the last good checkpoint', async () => {
    const dir = outDir();
    const failure = run(
      { optimizer: 'sgd', lr: 1e38, batchSize: 2, maxSteps: 6, checkpointEvery: 1 },
      { outDir: dir, initAdapter: INIT },
    );
    await expect(failure).rejects.toThrow(NotFiniteError);
    await expect(failure).rejects.toThrow(
      /^training stopped at step \d: \S+ is not finite .*the last good checkpoint \(step \d\) is kept/,
    );
    const kept = await readCheckpoint(join(dir, 'checkpoint'));
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toContain(`(step ${kept?.step})`);
    for (const t of Object.values(kept?.adapter ?? {})) expect(t.data.every(Number.isFinite)).toBe(true);
  });
});

describe('learning', () => {
  it('reaches eval preference accuracy >= 0.9 on cleanly separable pairs (chosen from one token set)', async () => {
    const rng = new Rng(3);
    const pick = (from: number, count: number, n: number) =>
      Array.from({ length: n }, () => from + rng.int(count));
    // Chosen completions use ids 10..29, rejected ones 50..69; prompts are random, eval prompts unseen.
    const pairs: PairExample[] = Array.from({ length: 80 }, () => ({
      prompt: [1, ...pick(4, 90, 3 + rng.int(4))],
      chosen: [...pick(10, 20, 2 + rng.int(3)), 2],
      rejected: [...pick(50, 20, 2 + rng.int(3)), 2],
    }));
    const started = performance.now();
    const dir = outDir();
    const result = await run(
      { lr: 5e-3, batchSize: 8, maxSteps: 60, evalSplit: 0.25, evalEvery: 20, loraR: 4, schedule: 'cosine' },
      { examples: pairs, outDir: dir },
    );
    const evals = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>)
      .filter((r) => r.eval_loss !== undefined);
    expect(evals.map((r) => r.step)).toEqual([20, 40, 60]);
    const losses = evals.map((r) => r.eval_loss as number);
    expect(losses).toEqual([...losses].sort((a, b) => b - a)); // eval loss falls at every evaluation
    expect(result.last?.step).toBe(60);
    expect(evals.at(-1)?.['eval_rewards/accuracies']).toBeGreaterThanOrEqual(0.9);
    expect(evals.at(-1)?.eval_loss).toBeLessThan(Math.log(2) - 0.1);
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
