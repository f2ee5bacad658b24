// Sequence log-probs against the float64 PyTorch model of scripts/model-fixtures (dpo-step.json): the base
// model, and base + a PEFT adapter written by writePeftAdapter and read back by the models' loader.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, loadPeftAdapter } from '../models/index';
import { openGraph } from './graph-session';
import { loraModules, toPeftAdapter } from './lora-modules';
import { LLAMA_TARGET_MODULES } from './lora';
import { writePeftAdapter } from './peft-export';
import { buildCompletionScoringGraph, scorePairs } from './sequence-logps';
import { safetensorsIO } from './trainer';

const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'dpo-step.json'), 'utf8')) as {
  r: number;
  alpha: number;
  pairs: { prompt_input_ids: number[]; chosen_input_ids: number[]; rejected_input_ids: number[] }[];
  reference_logps: number[][];
  policy_logps: number[][];
  completion_tokens: number[][];
  adapter_before: Record<string, { A: number[]; B: number[] }>;
};
const MODEL = loadCheckpoint(join(import.meta.dirname, '..', 'models', 'fixtures', 'llama'));
const EXAMPLES = FIXTURE.pairs.map((p) => ({
  prompt: p.prompt_input_ids,
  chosen: p.chosen_input_ids,
  rejected: p.rejected_input_ids,
}));
const dir = mkdtempSync(join(tmpdir(), 'logps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function score(lora?: Parameters<typeof buildCompletionScoringGraph>[2]['lora'], headChunks = 1) {
  const graph = buildCompletionScoringGraph(MODEL.config, MODEL.weights, {
    headChunks,
    ...(lora ? { lora } : {}),
  });
  const opened = await openGraph(graph, 'score', { device: 'cpu' });
  try {
    return await scorePairs(opened.session, EXAMPLES, { batchSize: 2, headChunks }); // 2 runs: padding across batches
  } finally {
    await opened.close();
  }
}

describe('scorePairs', () => {
  it('sums completion-token log-probs of the base model as PyTorch does (float64 reference, 1e-4)', async () => {
    const rows = await score();
    rows.forEach((row, i) => {
      const [chosen, rejected] = FIXTURE.reference_logps[i] as [number, number];
      expect(row.chosenLogp).toBeCloseTo(chosen, 4);
      expect(row.rejectedLogp).toBeCloseTo(rejected, 4);
      expect([row.chosenTokens, row.rejectedTokens]).toEqual(FIXTURE.completion_tokens[i]);
    });
  });

  it('with a PEFT adapter folder written by writePeftAdapter and loaded by loadPeftAdapter', async () => {
    const modules = loraModules(MODEL.config, LLAMA_TARGET_MODULES);
    const state = new Map(
      Object.entries(FIXTURE.adapter_before).flatMap(([m, { A, B }]) => [
        [`${m}.lora_A.weight`, Float32Array.from(A)],
        [`${m}.lora_B.weight`, Float32Array.from(B)],
      ]),
    );
    const adapter = toPeftAdapter(state, modules, {
      r: FIXTURE.r,
      alpha: FIXTURE.alpha,
      targetModules: [...LLAMA_TARGET_MODULES],
      baseModel: 'llama',
      fanInFanOut: false,
    });
    await writePeftAdapter(dir, adapter, safetensorsIO);
    const rows = await score(loadPeftAdapter(dir, MODEL.config).weights, 3); // the head in 3 chunks
    rows.forEach((row, i) => {
      const [chosen, rejected] = FIXTURE.policy_logps[i] as [number, number];
      expect(row.chosenLogp).toBeCloseTo(chosen, 4);
      expect(row.rejectedLogp).toBeCloseTo(rejected, 4);
    });
  });
});
