// The memory-saving paths of a DPO step (the LM head in chunks at completion tokens only, layers recomputed
// in the backward pass) give the PyTorch fixture's step, and the same numbers as each other to float32
// reorder noise: loss, every metric, grad_norm and every updated LoRA tensor.
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../models/index';
import { LLAMA_TARGET_MODULES } from './lora';
import { DPO_DEFAULTS } from './objectives';
import { loraModules } from './lora-modules';
import { StepRunner, type StepResult } from './step-runner';
import { examplesOf, LLAMA_FIXTURE, readStepFixture, stateOf } from './testing/step-fixture';
import { resolveTrainArgs } from './train-args';

const FIXTURE = readStepFixture();
const MODEL = loadCheckpoint(LLAMA_FIXTURE);
const PAIRS = examplesOf(FIXTURE);

async function step(headChunks: number, recompute: boolean, gradAccum = 1): Promise<StepResult> {
  const args = resolveTrainArgs({
    optimizer: 'sgd',
    lr: FIXTURE.lr,
    maxGradNorm: FIXTURE.max_grad_norm,
    batchSize: 3,
    gradAccum,
    device: 'cpu',
  });
  const spec = {
    config: MODEL.config,
    weights: MODEL.weights,
    modules: loraModules(MODEL.config, LLAMA_TARGET_MODULES),
    state: stateOf(FIXTURE.adapter_before),
    lora: { r: FIXTURE.r, alpha: FIXTURE.alpha },
    method: 'dpo' as const,
    loss: { ...DPO_DEFAULTS, beta: FIXTURE.beta },
    headChunks,
    recompute,
  };
  const data = { examples: PAIRS, refs: FIXTURE.reference_logps, collate: { padTokenId: 0 }, headChunks };
  const runner = await StepRunner.open(spec, args, data, { withEval: false, optimizerState: new Map() });
  try {
    return await runner.step([0, 1, 2], FIXTURE.lr);
  } finally {
    await runner.close();
  }
}

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-3);

function expectSameStep(a: StepResult, b: StepResult): void {
  for (const [name, value] of Object.entries(b.metrics))
    expect(relative(a.metrics[name]!, value)).toBeLessThan(1e-5);
  expect(relative(a.gradNorm, b.gradNorm)).toBeLessThan(1e-5);
  for (const [name, x] of b.next) {
    const y = a.next.get(name) as Float32Array;
    for (let i = 0; i < x.length; i++) expect(Math.abs(y[i]! - x[i]!)).toBeLessThan(1e-6);
  }
}

describe('memory-saving paths of a DPO step', () => {
  it('the head in 3 chunks with every layer recomputed matches PyTorch and the plain path', async () => {
    const plain = await step(1, false);
    const saving = await step(3, true);
    for (const [name, value] of Object.entries(FIXTURE.metrics))
      expect(saving.metrics[name]).toBeCloseTo(value, 5);
    expect(saving.gradNorm).toBeCloseTo(FIXTURE.grad_norm, 5);
    const after = stateOf(FIXTURE.adapter_after);
    for (const [name, x] of after) {
      const y = saving.next.get(name) as Float32Array;
      for (let i = 0; i < x.length; i++) expect(Math.abs(y[i]! - x[i]!)).toBeLessThan(2e-6);
    }
    expectSameStep(saving, plain);
  });

  it('recomputation under gradient accumulation (the gradient graph) gives the same step', async () => {
    expectSameStep(await step(2, true, 3), await step(1, false, 3));
  });
});
