// The optimized-model cache: a second session of the same model opens onnxruntime's saved optimized model
// at level 'disabled' and computes the same bits; another model gets another file; a broken file is
// replaced, not fatal.
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Graph, matmul, mul, reduceSum, softmax, tanh } from '../engine/index';
import { graphModel } from './graph-model';
import { cachedModel, optimizedModelPath, pruneSessionCache } from './optimized-cache';
import { EngineSession } from './session';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A small graph with what level 'all' fuses (MatMul chains, softmax), its weights fed as inputs. */
function model(scale: number) {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 64]);
  const w1 = g.weight(
    'w1',
    'float32',
    Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i) * scale),
    [64, 64],
  );
  const w2 = g.weight(
    'w2',
    'float32',
    Float32Array.from({ length: 64 * 64 }, (_, i) => Math.cos(i) * scale),
    [64, 64],
  );
  const h = softmax(mul(tanh(matmul(x, w1)), 3), -1); // (batch, 64)
  g.output('y', matmul(h, w2));
  g.output('total', reduceSum(h));
  return graphModel(g, { cpuOnly: true });
}

const feeds = {
  x: {
    dtype: 'float32' as const,
    data: Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 7)),
    dims: [3, 64],
  },
};

async function run(m: ReturnType<typeof model>, cacheDir?: string) {
  const session = await EngineSession.openGraph(m, { device: 'cpu', ...(cacheDir ? { cacheDir } : {}) });
  try {
    const out = await session.run(feeds);
    return [...(out.y?.data as Float32Array), ...(out.total?.data as Float32Array)];
  } finally {
    await session.release();
  }
}

describe('optimized-model cache', () => {
  it('saves the optimized model once and reopens it with the same results, bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ort-cache-'));
    dirs.push(dir);
    const m = model(0.1);
    const plain = await run(m);
    const first = await run(m, dir);
    const path = optimizedModelPath(dir, m.withInputs);
    expect(readdirSync(dir)).toEqual([path.slice(dir.length + 1)]); // one file, no temporary left
    expect(cachedModel(dir, m.withInputs).level).toBe('disabled'); // what the next open gets
    const second = await run(m, dir);
    expect(readdirSync(dir)).toHaveLength(1);
    expect(first).toEqual(plain);
    expect(second).toEqual(plain);
    // another model (other weights are fed, so only its structure counts: another graph) gets its own file
    const g = new Graph();
    g.output('y', tanh(g.input('x', 'float32', ['batch', 64])));
    await EngineSession.openGraph(graphModel(g, { cpuOnly: true }), { device: 'cpu', cacheDir: dir }).then(
      (s) => s.release(),
    );
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('a cached file that does not open is replaced by a fresh save', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ort-cache-'));
    dirs.push(dir);
    const m = model(0.2);
    const plain = await run(m);
    writeFileSync(optimizedModelPath(dir, m.withInputs), 'not an onnx model');
    expect(await run(m, dir)).toEqual(plain);
    expect(await run(m, dir)).toEqual(plain);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('keeps the folder within its size, dropping the least recently used models first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ort-cache-'));
    dirs.push(dir);
    const at = (name: string, seconds: number) => {
      const path = join(dir, name);
      writeFileSync(path, new Uint8Array(1000));
      utimesSync(path, seconds, seconds);
    };
    at('old.onnx', 1_000);
    at('middle.onnx', 2_000);
    at('new.onnx', 3_000);
    at('saving.onnx.123-abc.tmp', 0); // a save in progress is not the cache's to remove
    expect(pruneSessionCache(dir, 3_000)).toEqual([]);
    expect(pruneSessionCache(dir, 2_500).map((p) => p.slice(dir.length + 1))).toEqual(['old.onnx']);
    // a hit renews a model: after reading 'middle', 'new' is the least recently used
    const m = model(0.2);
    at(optimizedModelPath(dir, m.withInputs).slice(dir.length + 1), 500);
    expect(cachedModel(dir, m.withInputs).level).toBe('disabled');
    expect(pruneSessionCache(dir, 2_000).map((p) => p.slice(dir.length + 1))).toEqual(['middle.onnx']);
    expect(readdirSync(dir).sort()).toEqual(
      [
        optimizedModelPath(dir, m.withInputs).slice(dir.length + 1),
        'new.onnx',
        'saving.onnx.123-abc.tmp',
      ].sort(),
    );
  });
});
