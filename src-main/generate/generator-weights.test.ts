// The generator's worker holds the only copy of its weights: they move there (transferred), not copied.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qwen25_05bConfig, writeRandomCheckpoint } from '../../bench/random-checkpoint';
import { loadCheckpoint } from '../models/index';
import { OnnxDecoder } from './onnx-decoder';

const dir = mkdtempSync(join(tmpdir(), 'generator-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rss = (): number => process.memoryUsage().rss;

describe('generator weights', () => {
  it("moves a generator's weights into its worker instead of copying them (same logits)", async () => {
    // Qwen2.5-0.5B's layer shapes, 4 layers and a 16k vocabulary: 148 MB of BF16 words.
    const config = { ...qwen25_05bConfig(), num_hidden_layers: 4, vocab_size: 16384 };
    writeRandomCheckpoint(dir, { ...config, bos_token_id: 1, eos_token_id: 2 });
    const own = loadCheckpoint(dir, { own: true }); // a private copy, as loadGenerator reads it
    let weightBytes = 0;
    for (const t of own.weights.values()) weightBytes += t.data.byteLength;
    const copy = loadCheckpoint(dir, { own: true }); // for the control
    // Moved: the worker's growth is its thread, modules and session (the first one also loads onnxruntime).
    let before = rss();
    const moved = await OnnxDecoder.open(own, { device: 'cpu' }, true);
    const movedGrowth = rss() - before;
    // Control: the same open copying the weights grows by another copy of them.
    before = rss();
    const copied = await OnnxDecoder.open(copy, { device: 'cpu' }, false);
    const copiedGrowth = rss() - before;
    try {
      expect(own.weights.get('layers.0.mlp.up.weight')?.data.length).toBe(0); // moved, not copied
      expect(copy.weights.get('layers.0.mlp.up.weight')?.data.length).toBeGreaterThan(0);
      // (The moved open also paid for loading onnxruntime into the process: about 50 MB.)
      expect(copiedGrowth - movedGrowth).toBeGreaterThan(0.5 * weightBytes);
      const { logits } = await moved.prefill([1, 2, 3]);
      expect(logits.length).toBe(16384);
      expect(logits).toEqual((await copied.prefill([1, 2, 3])).logits);
    } finally {
      await moved.close();
      await copied.close();
    }
  });
});
