// The KTO and ORPO entries of the objective table against PyTorch float64 fixtures
// (scripts/train-fixtures/make_kto_orpo_fixtures.py): the engine graph on onnxruntime CPU in float64 and
// float32, and the JS float64 twins: loss, TRL's logged metrics and d loss / d policy.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Graph, grad, type Tensor } from '../engine/index';
import { runGraph, type Fed } from '../engine/testing/harness';
import { ktoLoss64 } from './kto-loss';
import { combineParts, OBJECTIVES, TRAIN_METHODS } from './objectives';
import { orpoLoss64 } from './orpo-loss';

interface KtoCase {
  name: string;
  beta: number;
  desirableWeight: number;
  undesirableWeight: number;
  inputs: {
    policy: number[];
    reference: number[];
    policyKl: number[];
    referenceKl: number[];
    labels: boolean[];
  };
  losses: number[];
  metrics: Record<string, number>;
  grad: number[];
  gradKl: number[];
}

interface OrpoCase {
  name: string;
  beta: number;
  inputs: {
    policyChosen: number[];
    policyRejected: number[];
    chosenLengths: number[];
    rejectedLengths: number[];
  };
  losses: number[];
  metrics: Record<string, number>;
  gradChosen: number[];
  gradRejected: number[];
}

const read = <T>(name: string): { cases: T[] } =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as { cases: T[] };
const KTO = read<KtoCase>('kto-losses.json');
const ORPO = read<OrpoCase>('orpo-losses.json');

function expectAllClose(actual: ArrayLike<number>, expected: readonly number[], what: string, tol = 1e-6) {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i] as number;
    expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(e)),
    );
  });
}

const OPTIONS = { loss: 'sigmoid' as const, labelSmoothing: 0, sftWeight: 0 };

/** Builds the table entry on [first; second] inputs, with its gradient wrt both policy rows. */
async function runEntry(
  method: 'kto' | 'orpo',
  vectors: Record<string, number[]>,
  options: { beta: number; desirableWeight?: number; undesirableWeight?: number },
  dtype: 'float64' | 'float32',
) {
  const g = new Graph();
  const n = (vectors.policy0 as number[]).length;
  const v = (name: string): Tensor => g.input(name, dtype, [n]);
  const policy = [v('policy0'), v('policy1')] as const;
  const objective = OBJECTIVES[method];
  const { loss, metrics } = objective.build(
    {
      policy,
      lengths: [v('lengths0'), v('lengths1')],
      ...(objective.reference ? { reference: [v('reference0'), v('reference1')] as const } : {}),
      ...(objective.labels ? { labels: v('labels') } : {}),
    },
    { ...OPTIONS, desirableWeight: 1, undesirableWeight: 1, ...options },
  );
  const [d0, d1] = grad(loss, [...policy]);
  g.output('loss', loss);
  g.output('d0', d0!);
  g.output('d1', d1!);
  for (const [name, metric] of Object.entries(metrics)) g.output(name, metric);
  const feeds: Record<string, Fed> = {};
  for (const [name, values] of Object.entries(vectors))
    if (g.inputs().some((t) => t.name === name))
      feeds[name] = {
        dtype,
        data: dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values),
        dims: [n],
      };
  const out = await runGraph(g, feeds);
  const values = Object.fromEntries(Object.entries(out).map(([k, r]) => [k, r.data[0] as number]));
  return { out, logged: combineParts(objective, [{ values, lossShare: 1, countShare: 1 }]) };
}

const ktoVectors = (c: KtoCase) => ({
  policy0: c.inputs.policy,
  policy1: c.inputs.policyKl,
  reference0: c.inputs.reference,
  reference1: c.inputs.referenceKl,
  lengths0: c.inputs.policy.map(() => 1),
  lengths1: c.inputs.policy.map(() => 1),
  labels: c.inputs.labels.map(Number),
});

const orpoVectors = (c: OrpoCase) => ({
  policy0: c.inputs.policyChosen,
  policy1: c.inputs.policyRejected,
  lengths0: c.inputs.chosenLengths,
  lengths1: c.inputs.rejectedLengths,
});

describe('the objective table', () => {
  it('has DPO, KTO and ORPO; only ORPO goes without a reference model, only KTO takes labels', () => {
    expect(TRAIN_METHODS).toEqual(['dpo', 'kto', 'orpo']);
    expect(TRAIN_METHODS.filter((m) => !OBJECTIVES[m].reference)).toEqual(['orpo']);
    expect(TRAIN_METHODS.filter((m) => OBJECTIVES[m].labels)).toEqual(['kto']);
  });
});

describe('KTO vs PyTorch (TRL KTOTrainer.kto_loss and log)', () => {
  for (const c of KTO.cases) {
    const options = {
      beta: c.beta,
      desirableWeight: c.desirableWeight,
      undesirableWeight: c.undesirableWeight,
    };
    for (const [dtype, tol] of [
      ['float64', 1e-6],
      ['float32', 1e-5],
    ] as const) {
      it(`${c.name}: engine graph (${dtype}) matches loss, logged metrics and gradients`, async () => {
        const { out, logged } = await runEntry('kto', ktoVectors(c), options, dtype);
        expect(Object.keys(logged).sort()).toEqual(Object.keys(c.metrics).sort());
        for (const [name, value] of Object.entries(c.metrics))
          expectAllClose([logged[name]!], [value], name, tol);
        expectAllClose(out.d0!.data, c.grad, 'd loss / d policy', tol);
        // The KL rows carry no gradient (TRL scores them under no_grad).
        expectAllClose(out.d1!.data, c.gradKl, 'd loss / d policy KL rows', tol);
      });
    }
    it(`${c.name}: float64 JS twin matches`, () => {
      const js = ktoLoss64(c.inputs, options);
      expectAllClose(js.losses, c.losses, 'losses');
      expect(Object.keys(js.metrics).sort()).toEqual(Object.keys(c.metrics).sort());
      for (const [name, value] of Object.entries(c.metrics))
        expectAllClose([js.metrics[name]!], [value], name);
      expectAllClose(js.grad, c.grad, 'd loss / d policy', 1e-6);
    });
  }

  it('the clamped case has kl 0 and a positive one moves every loss', () => {
    const clamped = KTO.cases.find((c) => c.name === 'kl-clamped-at-0');
    expect(clamped?.metrics.kl).toBe(0);
    expect(KTO.cases[0]!.metrics.kl).toBeGreaterThan(0.5);
  });
});

describe('ORPO vs PyTorch (TRL ORPOTrainer.odds_ratio_loss + NLL)', () => {
  for (const c of ORPO.cases) {
    for (const [dtype, tol] of [
      ['float64', 1e-6],
      ['float32', 2e-5],
    ] as const) {
      it(`${c.name}: engine graph (${dtype}) matches loss, metrics and gradients`, async () => {
        const { out, logged } = await runEntry('orpo', orpoVectors(c), { beta: c.beta }, dtype);
        expect(Object.keys(logged).sort()).toEqual(Object.keys(c.metrics).sort());
        for (const [name, value] of Object.entries(c.metrics))
          expectAllClose([logged[name]!], [value], name, tol);
        expectAllClose(out.d0!.data, c.gradChosen, 'd loss / d policy chosen', tol);
        expectAllClose(out.d1!.data, c.gradRejected, 'd loss / d policy rejected', tol);
      });
    }
    it(`${c.name}: float64 JS twin matches`, () => {
      const js = orpoLoss64(c.inputs, c.beta);
      expectAllClose(js.losses, c.losses, 'losses');
      for (const [name, value] of Object.entries(c.metrics))
        expectAllClose([js.metrics[name as keyof typeof js.metrics]], [value], name);
      expectAllClose(js.gradChosen, c.gradChosen, 'd loss / d policy chosen', 1e-5);
      expectAllClose(js.gradRejected, c.gradRejected, 'd loss / d policy rejected', 1e-5);
    });
  }
});
