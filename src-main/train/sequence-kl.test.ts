// The KL(tuned || base) estimate against PyTorch float64 (scripts/train-fixtures/make_kto_orpo_step_fixtures.py):
// samples drawn from base + adapter on the llama fixture, each scored under both models; the estimate is the
// mean over samples of the summed log-ratio.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, loadPeftAdapter, type LoraWeights } from '../models/index';
import { loraModules, paramNameA, paramNameB, toPeftAdapter, type LoraState } from './lora-modules';
import { writePeftAdapter } from './peft-export';
import { klEstimate, sequenceKl, type KlSample } from './sequence-kl';
import { safetensorsIO } from './trainer';

const FIXTURE = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'kl-estimate.json'), 'utf8'),
) as {
  r: number;
  alpha: number;
  samples: KlSample[];
  tuned_logps: number[];
  base_logps: number[];
  kl: number;
  stderr: number;
  adapter: Record<string, { A: number[]; B: number[] }>;
};
const MODEL = loadCheckpoint(join(import.meta.dirname, '..', 'models', 'fixtures', 'llama'));

const TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
let lora: ReadonlyMap<string, LoraWeights>;
const dir = mkdtempSync(join(tmpdir(), 'kl-adapter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The fixture's adapter written as the trainer writes a version's adapter and read back as the app reads it.
beforeAll(async () => {
  const state: LoraState = new Map();
  for (const [module, { A, B }] of Object.entries(FIXTURE.adapter)) {
    state.set(paramNameA(module), Float32Array.from(A));
    state.set(paramNameB(module), Float32Array.from(B));
  }
  const adapter = toPeftAdapter(state, loraModules(MODEL.config, TARGETS), {
    r: FIXTURE.r,
    alpha: FIXTURE.alpha,
    targetModules: TARGETS,
    baseModel: MODEL.folder,
    fanInFanOut: false,
  });
  await writePeftAdapter(dir, adapter, safetensorsIO);
  lora = loadPeftAdapter(dir, MODEL.config).weights;
});
const loraOf = () => lora;

describe('sequence-level KL(tuned || base) on samples of the tuned model', () => {
  it('scores every sample under both models as PyTorch does and averages the summed log-ratio', async () => {
    const result = await sequenceKl(MODEL, loraOf(), FIXTURE.samples, { device: 'cpu' });
    result.tuned.forEach((t, i) => expect(t, `tuned ${i}`).toBeCloseTo(FIXTURE.tuned_logps[i]!, 4));
    result.base.forEach((b, i) => expect(b, `base ${i}`).toBeCloseTo(FIXTURE.base_logps[i]!, 4));
    expect(result.n).toBe(FIXTURE.samples.length);
    expect(result.kl).toBeCloseTo(FIXTURE.kl, 4);
    expect(result.stderr).toBeCloseTo(FIXTURE.stderr, 4);
    expect(FIXTURE.kl).toBeGreaterThan(0.1); // the adapter moves the model: the estimate is not trivially 0
  });

  it('a sample alone on its prompt is scored on its own row (odd counts)', async () => {
    const three = FIXTURE.samples.slice(0, 3);
    const result = await sequenceKl(MODEL, loraOf(), three, { device: 'cpu' });
    result.tuned.forEach((t, i) => expect(t).toBeCloseTo(FIXTURE.tuned_logps[i]!, 4));
  });

  it('the estimate is the plain mean with its standard error', () => {
    expect(klEstimate([-1, -2, -3], [-2, -2, -5])).toEqual({ kl: 1, stderr: Math.sqrt(1 / 3), n: 3 });
    expect(() => klEstimate([], [])).toThrow(/no samples/);
  });
});
