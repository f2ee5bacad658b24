// One copy of the frozen weights per run: the reference and step graphs of a run feed the checkpoint's own
// arrays to onnxruntime (graph inputs, read in place), so opening a second session does not grow the
// process by another copy. Checked by resident memory, with a control that proves the measure sees a copy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwen25_05bConfig, writeRandomCheckpoint } from '../../bench/random-checkpoint';
import { emitModel } from '../engine/index';
import { buildScoringGraph, loadCheckpoint, type Checkpoint } from '../models/index';
import { buildEvalGraph } from './dpo-graph';
import { openGraph, type OpenedGraph } from './graph-session';
import { initLoraState, loraModules } from './lora-modules';
import { Rng } from './rng';

const dir = mkdtempSync(join(tmpdir(), 'shared-weights-'));
let model: Checkpoint;
let weightBytes = 0;

beforeAll(() => {
  // Qwen2.5-0.5B's layer shapes, 4 layers and a 16k vocabulary: 74M parameters, 148 MB of BF16 words.
  const config = { ...qwen25_05bConfig(), num_hidden_layers: 4, vocab_size: 16384 };
  writeRandomCheckpoint(dir, { ...config, bos_token_id: 1, eos_token_id: 2 });
  model = loadCheckpoint(dir);
  for (const t of model.weights.values()) weightBytes += t.data.byteLength;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
    loss: { type: 'sigmoid', beta: 0.1, labelSmoothing: 0, sftWeight: 0 },
  });
}

describe('frozen weights, one copy per run', () => {
  it('keeps BF16 weights as their 16-bit words', () => {
    const q = model.weights.get('layers.0.attn.q.weight');
    expect(q?.data).toBeInstanceOf(Uint16Array);
    expect(weightBytes).toBeGreaterThan(140e6);
  });

  it('opens the reference and the step graph of a run without a second copy of the weights', async () => {
    const opened: OpenedGraph[] = [];
    try {
      const before = rss();
      opened.push(
        await openGraph(buildScoringGraph(model.config, model.weights), 'reference', { device: 'cpu' }),
      );
      const afterFirst = rss();
      opened.push(await openGraph(evalGraph(model), 'eval', { device: 'cpu' }));
      const afterSecond = rss();
      // A copy of the weights would add weightBytes (or twice that as float32); a session itself is small.
      expect(afterFirst - before).toBeLessThan(0.25 * weightBytes);
      expect(afterSecond - afterFirst).toBeLessThan(0.25 * weightBytes);
    } finally {
      for (const o of opened) await o.close();
    }
  });

  it('control: a session holding the weights inside its model grows the process by a copy', async () => {
    const graph = buildScoringGraph(model.config, model.weights);
    const { model: bytes } = emitModel(graph, { externalThreshold: Infinity }); // weights inside the model
    const before = rss();
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    const grown = rss() - before;
    await session.release();
    expect(grown).toBeGreaterThan(0.8 * weightBytes);
  });
});
