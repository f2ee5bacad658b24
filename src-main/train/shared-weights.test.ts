// One copy of the frozen weights per run: the reference and step graphs of a run feed the checkpoint's own
// arrays to onnxruntime (graph inputs, read in place), so opening a second session does not grow the
// process by another copy. Checked by resident memory in a fresh process, with a control that proves the
// measure sees a copy.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwen25_05bConfig, writeRandomCheckpoint } from '../../bench/random-checkpoint';
import { loadCheckpoint, type Checkpoint } from '../models/index';

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

/** Runs the probe in a fresh process: memory freed by earlier tests cannot hide (or fake) a copy there. */
function probe(mode: 'shared' | 'control'): Record<string, number> {
  const script = join(import.meta.dirname, 'testing', 'weight-copies-probe.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, mode, dir], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
}

describe('frozen weights, one copy per run', () => {
  it('keeps BF16 weights as their 16-bit words', () => {
    const q = model.weights.get('layers.0.attn.q.weight');
    expect(q?.data).toBeInstanceOf(Uint16Array);
    expect(weightBytes).toBeGreaterThan(140e6);
  });

  it('opens the reference and the step graph of a run without a second copy of the weights', () => {
    const { firstGrowth, secondGrowth } = probe('shared');
    // A copy of the weights would add weightBytes (or twice that as float32); a session itself is small.
    expect(firstGrowth).toBeLessThan(0.25 * weightBytes);
    expect(secondGrowth).toBeLessThan(0.25 * weightBytes);
  });

  it('control: a session holding the weights inside its model grows the process by a copy', () => {
    expect(probe('control').growth).toBeGreaterThan(0.8 * weightBytes);
  });
});
