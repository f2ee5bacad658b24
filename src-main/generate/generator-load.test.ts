// loadGenerator keeps the caller's event loop running: the checkpoint read and scan and the graph build and
// emit run in a worker thread (decoder-build-worker.ts), the session opens in another.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qwen25_05bConfig, writeRandomCheckpoint } from '../../bench/random-checkpoint';
import { loadCheckpoint } from '../models/index';
import { characterTokenizerJson, PRINTABLE_CHARACTERS, writeCheckpointFixture } from './checkpoint-fixture';
import { decoderGraphModel } from './decoder-build';
import { loadGenerator } from './onnx-decoder';

const dir = mkdtempSync(join(tmpdir(), 'generator-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The longest gap between ticks of a 5 ms interval while `work` runs, in ms. */
async function longestGap<T>(work: () => Promise<T>): Promise<{ gap: number; value: T }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 5);
  try {
    const value = await work();
    return { gap: Math.max(gap, performance.now() - last), value };
  } finally {
    clearInterval(timer);
  }
}

describe('loadGenerator', () => {
  it('reads the checkpoint and builds the graph off the calling thread (its event loop keeps ticking)', async () => {
    // Qwen2.5-0.5B's layer shapes, 6 layers and a 32k vocabulary: 262 MB of BF16 words.
    const config = { ...qwen25_05bConfig(), num_hidden_layers: 6, vocab_size: 32768 };
    writeRandomCheckpoint(dir, { ...config, bos_token_id: 1, eos_token_id: 2 });
    // A small tokenizer (a model's vocabulary may be larger): its load, still on this thread, takes no time.
    const tokens = ['<unk>', '<s>', '</s>', ...PRINTABLE_CHARACTERS];
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(characterTokenizerJson(tokens, 3)));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ eos_token: '</s>', unk_token: '<unk>' }),
    );

    // What loading used to do on the calling thread: read and scan a private copy, build and emit the graph.
    const blocked = await longestGap(async () => {
      const own = loadCheckpoint(dir, { own: true });
      return decoderGraphModel(own.config, own.weights, { cpuOnly: true }).withInputs.byteLength;
    });
    const loaded = await longestGap(() => loadGenerator({ modelDir: dir, device: 'cpu', intraOpThreads: 1 }));
    try {
      const { logits } = await loaded.value.model.prefill([1, 2, 3]);
      expect(logits.length).toBe(32768);
      expect(logits.every(Number.isFinite)).toBe(true);
    } finally {
      await loaded.value.close();
    }
    console.log(
      `longest event-loop gap: in-thread build ${blocked.gap.toFixed(0)} ms, loadGenerator ${loaded.gap.toFixed(0)} ms`,
    );
    expect(blocked.gap).toBeGreaterThan(400); // the checkpoint is big enough to show a stall
    // relative to the in-thread stall measured under the same load (CI's two cores are shared by test files)
    expect(loaded.gap).toBeLessThan(blocked.gap / 3);
  }, 120_000);

  it("names a broken checkpoint with the reader's own message, ahead of a tokenizer error", async () => {
    const empty = mkdtempSync(join(tmpdir(), 'generator-load-empty-'));
    try {
      const message = (() => {
        try {
          loadCheckpoint(empty, { own: true });
        } catch (error) {
          return (error as Error).message;
        }
        throw new Error('an empty folder loaded');
      })();
      await expect(loadGenerator({ modelDir: empty, device: 'cpu' })).rejects.toThrow(message);
      const noTokenizer = writeCheckpointFixture();
      rmSync(join(noTokenizer, 'tokenizer.json'));
      await expect(loadGenerator({ modelDir: noTokenizer, device: 'cpu' })).rejects.toThrow(
        /no tokenizer\.json/,
      );
      rmSync(noTokenizer, { recursive: true, force: true });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
