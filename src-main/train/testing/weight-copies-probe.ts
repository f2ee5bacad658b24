// Measures, in a process of its own, how much opening sessions on a checkpoint grows resident memory, so
// the shared-weights test is not fooled by memory an earlier test freed and the allocator hands back.
// Usage: weight-copies-probe.ts shared|control CHECKPOINT_DIR; prints one JSON line.
import * as ort from 'onnxruntime-node';
import { emitModel } from '../../engine/index';
import { buildScoringGraph, loadCheckpoint, type Checkpoint } from '../../models/index';
import { buildEvalGraph } from '../dpo-graph';
import { openGraph } from '../graph-session';
import { initLoraState, loraModules } from '../lora-modules';
import { Rng } from '../rng';

const rss = (): number => process.memoryUsage().rss;

function evalGraph(m: Checkpoint) {
  const modules = loraModules(m.config, ['q_proj', 'v_proj']);
  const state = initLoraState(modules, 4, new Rng(1));
  return buildEvalGraph({
    config: m.config,
    weights: m.weights,
    modules,
    state,
    lora: { r: 4, alpha: 8 },
    method: 'dpo',
    loss: {
      loss: 'sigmoid',
      beta: 0.1,
      labelSmoothing: 0,
      sftWeight: 0,
      desirableWeight: 1,
      undesirableWeight: 1,
    },
  });
}

async function shared(model: Checkpoint): Promise<Record<string, number>> {
  const before = rss();
  const reference = await openGraph(buildScoringGraph(model.config, model.weights), 'reference', {
    device: 'cpu',
  });
  const afterFirst = rss();
  const evaluation = await openGraph(evalGraph(model), 'eval', { device: 'cpu' });
  const afterSecond = rss();
  await reference.close();
  await evaluation.close();
  return { firstGrowth: afterFirst - before, secondGrowth: afterSecond - afterFirst };
}

async function control(model: Checkpoint): Promise<Record<string, number>> {
  const graph = buildScoringGraph(model.config, model.weights);
  const { model: bytes } = emitModel(graph, { externalThreshold: Infinity }); // weights inside the model
  const before = rss();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const growth = rss() - before;
  await session.release();
  return { growth };
}

const [mode, dir] = process.argv.slice(2);
if ((mode !== 'shared' && mode !== 'control') || !dir) throw new Error('usage: shared|control DIR');
const model = loadCheckpoint(dir);
let weightBytes = 0;
for (const t of model.weights.values()) weightBytes += t.data.byteLength;
const result = mode === 'shared' ? await shared(model) : await control(model);
process.stdout.write(`${JSON.stringify({ weightBytes, ...result })}\n`);
