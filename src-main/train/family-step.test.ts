// One DPO + LoRA + SGD step on each new family's fixture against the float64 PyTorch step
// (scripts/train-fixtures/make_step_fixtures.py writes dpo-step-<family>.json): loss, metrics, grad_norm and
// every updated LoRA tensor. The written PEFT adapter then loads (Phi-3's fused modules split back into
// q, k, v and gate, up) and its merged checkpoint scores the same as the adapter's branches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCheckpoint, loadPeftAdapter, mergeLora, buildScoringGraph } from '../models/index';
import { FIXTURES, GraphSession, int64, maxAbsDiff } from '../models/test-support';
import { defaultTargetModules } from './lora';
import { examplesOf, readStepFixture, stateOf } from './testing/step-fixture';
import { resolveTrainArgs } from './train-args';
import { trainDpo } from './trainer';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.each(['qwen3', 'gemma3', 'phi3', 'smollm3'] as const)(
  'one DPO step on %s against PyTorch',
  (name) => {
    it('loss, metrics, grad_norm and every updated tensor match; the adapter loads and merges', async () => {
      const fixture = readStepFixture(`dpo-step-${name}.json`);
      const model = loadCheckpoint(join(FIXTURES, name));
      const targetModules = defaultTargetModules(model.config.modelType);
      const modules = Object.keys(fixture.adapter_before);
      // PEFT's module names: every projection, Phi-3's fused ones as one module each.
      expect(modules.every((m) => targetModules.includes(m.split('.').at(-1) as string))).toBe(true);
      expect(modules).toHaveLength(model.config.numLayers * targetModules.length);
      const examples = examplesOf(fixture);
      const outDir = mkdtempSync(join(tmpdir(), `dpo-${name}-`));
      dirs.push(outDir);
      const result = await trainDpo({
        model,
        examples,
        outDir,
        args: resolveTrainArgs({
          evalSplit: 0,
          device: 'cpu',
          schedule: 'constant',
          optimizer: 'sgd',
          lr: fixture.lr,
          maxGradNorm: fixture.max_grad_norm,
          batchSize: examples.length,
          maxSteps: 1,
          // The fixture's reference is the base model without the adapter.
          reference: 'base',
        }),
        initAdapter: {
          r: fixture.r,
          alpha: fixture.alpha,
          targetModules,
          state: stateOf(fixture.adapter_before),
        },
      });
      const row = result.last as Record<string, number>;
      for (const [metric, value] of Object.entries(fixture.metrics))
        expect(row[metric], metric).toBeCloseTo(value, 5);
      expect(row.grad_norm).toBeCloseTo(fixture.grad_norm, 5);
      const after = stateOf(fixture.adapter_after);
      let worst = 0;
      for (const [param, expected] of after)
        worst = Math.max(worst, maxAbsDiff(result.state.get(param) as Float32Array, expected));
      expect(worst).toBeLessThan(2e-6);

      // The PEFT adapter as written: loaded onto the model, its branches equal the merged weights.
      const adapter = loadPeftAdapter(outDir, model.config);
      expect(adapter.weights.size).toBe(model.config.numLayers * 7);
      const ids = [examples[0]?.prompt.concat(examples[0].chosen) ?? []];
      const feeds = {
        input_ids: int64(ids),
        attention_mask: int64(ids.map((r) => r.map(() => 1))),
        targets: int64(ids),
      };
      const logits = async (graph: ReturnType<typeof buildScoringGraph>): Promise<Float32Array> => {
        const session = await GraphSession.open(graph);
        const out = await session.run(feeds);
        await session.release();
        return out.logits?.data as Float32Array;
      };
      const branches = await logits(
        buildScoringGraph(model.config, model.weights, { lora: adapter.weights }),
      );
      const merged = await logits(buildScoringGraph(model.config, mergeLora(model.weights, adapter.weights)));
      expect(maxAbsDiff(branches, merged)).toBeLessThan(1e-4);
    });
  },
);
