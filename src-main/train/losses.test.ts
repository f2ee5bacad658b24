// The DPO loss table against PyTorch float64 fixtures (scripts/train-fixtures/make_dpo_fixtures.py): the engine
// graph on onnxruntime CPU in float64 and the JS float64 twin, loss, every TRL metric and d loss / d policy.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Graph, grad } from '../engine/index';
import { runGraph, type Fed } from '../engine/testing/harness';
import {
  DPO_LOSS_TYPES,
  DPO_METRIC_NAMES,
  dpoLoss,
  dpoLoss64,
  type DpoBatch64,
  type DpoLossType,
  type DpoMetricName,
} from './losses';

interface Case {
  name: string;
  type: DpoLossType;
  beta: number;
  labelSmoothing: number;
  sftWeight: number;
  inputs: Omit<DpoBatch64, 'weights'> & { weights: number[] | null };
  losses: number[];
  metrics: Record<DpoMetricName, number>;
  gradChosen: number[];
  gradRejected: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/dpo-losses.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

const TOLERANCE = 1e-6;

function expectAllClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  what: string,
  tolerance = TOLERANCE,
): void {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i] as number;
    expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(
      tolerance * Math.max(1, Math.abs(e)),
    );
  });
}

const batchOf = (c: Case): DpoBatch64 => ({ ...c.inputs, weights: c.inputs.weights ?? undefined });
const optionsOf = (c: Case) => ({
  type: c.type,
  beta: c.beta,
  labelSmoothing: c.labelSmoothing,
  sftWeight: c.sftWeight,
});

async function runEngine(c: Case, dtype: 'float64' | 'float32' = 'float64') {
  const g = new Graph();
  const n = c.inputs.policyChosen.length;
  const vec = (name: string) => g.input(name, dtype, [n]);
  const inputs = {
    policyChosen: vec('policyChosen'),
    policyRejected: vec('policyRejected'),
    refChosen: vec('refChosen'),
    refRejected: vec('refRejected'),
    chosenLengths: vec('chosenLengths'),
    rejectedLengths: vec('rejectedLengths'),
    weights: c.inputs.weights ? vec('weights') : undefined,
  };
  const { loss, losses, metrics } = dpoLoss(inputs, optionsOf(c));
  const [dChosen, dRejected] = grad(loss, [inputs.policyChosen, inputs.policyRejected]);
  g.output('loss', loss);
  g.output('losses', losses);
  g.output('dChosen', dChosen!);
  g.output('dRejected', dRejected!);
  for (const [name, metric] of Object.entries(metrics)) g.output(name, metric);
  const feeds: Record<string, Fed> = {};
  for (const [name, values] of Object.entries(c.inputs))
    if (values) {
      const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
      feeds[name] = { dtype, data, dims: [n] };
    }
  return runGraph(g, feeds);
}

describe('DPO loss table vs PyTorch (float64)', () => {
  it('covers every loss type of the table', () => {
    expect(DPO_LOSS_TYPES.sort()).toEqual(['hinge', 'ipo', 'robust', 'sigmoid']);
    expect(new Set(fixture.cases.map((c) => c.type))).toEqual(new Set(DPO_LOSS_TYPES));
  });

  for (const c of fixture.cases) {
    it(`${c.name}: engine graph on ORT float64 matches loss, metrics and gradients at 1e-6`, async () => {
      const out = await runEngine(c);
      expectAllClose(out.losses!.data, c.losses, 'losses');
      for (const name of DPO_METRIC_NAMES) expectAllClose(out[name]!.data, [c.metrics[name]], name);
      expectAllClose(out.dChosen!.data, c.gradChosen, 'd loss / d policy chosen');
      expectAllClose(out.dRejected!.data, c.gradRejected, 'd loss / d policy rejected');
    });

    it(`${c.name}: the same graph in float32 (as training runs) matches at 1e-5`, async () => {
      const out = await runEngine(c, 'float32');
      for (const name of DPO_METRIC_NAMES) expectAllClose(out[name]!.data, [c.metrics[name]], name, 1e-5);
      expectAllClose(out.dChosen!.data, c.gradChosen, 'd loss / d policy chosen', 1e-5);
    });

    it(`${c.name}: float64 JS table matches`, () => {
      const js = dpoLoss64(batchOf(c), optionsOf(c));
      expectAllClose(js.losses, c.losses, 'losses');
      for (const name of DPO_METRIC_NAMES) expectAllClose([js.metrics[name]], [c.metrics[name]], name);
      expectAllClose(js.gradChosen, c.gradChosen, 'd loss / d policy chosen');
      expectAllClose(js.gradRejected, c.gradRejected, 'd loss / d policy rejected');
    });
  }

  it('sigmoid with beta 0.1 at h = 0 is log 2 with zero rewards and accuracy 0 (ties are not wins)', () => {
    const same = [-10, -20];
    const js = dpoLoss64(
      { policyChosen: same, policyRejected: same, refChosen: same, refRejected: same },
      { type: 'sigmoid', beta: 0.1 },
    );
    expect(js.metrics.loss).toBeCloseTo(Math.LN2, 12);
    expect(js.metrics['rewards/accuracies']).toBe(0);
    expect(js.metrics['rewards/margins']).toBe(0);
    expect(js.gradChosen[0]).toBeCloseTo(-0.1 * 0.5 * 0.5, 9);
  });

  it('rejects bad options and missing lengths with messages that name them', () => {
    const g = new Graph();
    const v = g.input('v', 'float64', [2]);
    const inputs = { policyChosen: v, policyRejected: v, refChosen: v, refRejected: v };
    expect(() => dpoLoss(inputs, { type: 'ipo', beta: 0.1 })).toThrow(/'ipo' needs chosenLengths/);
    expect(() => dpoLoss(inputs, { type: 'sigmoid', beta: 0 })).toThrow(/beta must be > 0/);
    expect(() => dpoLoss(inputs, { type: 'robust', beta: 0.1, labelSmoothing: 0.5 })).toThrow(
      /labelSmoothing must be in \[0, 0.5\)/,
    );
    expect(() => dpoLoss(inputs, { type: 'sigmoid', beta: 0.1, sftWeight: 1 })).toThrow(/SFT term needs/);
  });
});
