// The float64 PyTorch DPO steps (scripts/train-fixtures/make_step_fixtures.py writes fixtures/dpo-step.json
// for the llama model fixture and dpo-step-<family>.json for the others) as the train tests read them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PairExample } from '../collate';
import { paramNameA, paramNameB, type LoraState } from '../lora-modules';

export interface StepFixture {
  r: number;
  alpha: number;
  beta: number;
  lr: number;
  max_grad_norm: number;
  pairs: { prompt_input_ids: number[]; chosen_input_ids: number[]; rejected_input_ids: number[] }[];
  metrics: Record<string, number>;
  grad_norm: number;
  policy_logps: number[][];
  reference_logps: number[][];
  completion_tokens: number[][];
  adapter_before: Record<string, { A: number[]; B: number[] }>;
  adapter_after: Record<string, { A: number[]; B: number[] }>;
}

/** The llama model fixture that dpo-step.json's step ran on. */
export const LLAMA_FIXTURE = join(import.meta.dirname, '..', '..', 'models', 'fixtures', 'llama');

/** src-main/train/fixtures/`file`. */
export function readStepFixture(file = 'dpo-step.json'): StepFixture {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', file), 'utf8')) as StepFixture;
}

/** The fixture's pairs as the trainer takes them. */
export function examplesOf(fixture: StepFixture): PairExample[] {
  return fixture.pairs.map((p) => ({
    prompt: p.prompt_input_ids,
    chosen: p.chosen_input_ids,
    rejected: p.rejected_input_ids,
  }));
}

/** An adapter of the fixture (before or after the step) as LoRA state. */
export function stateOf(adapter: StepFixture['adapter_before']): LoraState {
  const state: LoraState = new Map();
  for (const [module, { A, B }] of Object.entries(adapter)) {
    state.set(paramNameA(module), Float32Array.from(A));
    state.set(paramNameB(module), Float32Array.from(B));
  }
  return state;
}

/** The largest difference of two LoRA states, tensor by tensor (the same names in both). */
export function maxDiff(a: LoraState, b: LoraState): number {
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name) as Float32Array;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}
