// Runtime: sessions from a model path (external data included), device choice and the session worker.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, matmul, reduceSum, relu, saveModel, tanh } from '../engine/index';
import { EngineSession } from './session';
import { SessionWorker } from './worker-client';

const dir = mkdtempSync(join(tmpdir(), 'engine-runtime-'));
const modelPath = join(dir, 'mlp.onnx');
const heavyPath = join(dir, 'heavy.onnx');

/** The CUDA provider library sits next to libonnxruntime once `npm run setup:cuda` ran. */
const cudaInstalled = existsSync(
  join(
    createRequire(import.meta.url).resolve('onnxruntime-node'),
    '../../bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so',
  ),
);

beforeAll(() => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 256]);
  const w = g.param(
    'w',
    Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i) / 16),
    [256, 256],
  );
  const h = relu(matmul(x, w)); // (batch, 256)
  g.output('h', h);
  g.output('total', reduceSum(h));
  saveModel(g, modelPath, { externalThreshold: 4096 });

  const heavy = new Graph();
  let y = heavy.input('x', 'float32', [512, 512]);
  const m = heavy.param(
    'm',
    Float32Array.from({ length: 512 * 512 }, (_, i) => Math.cos(i) / 32),
    [512, 512],
  );
  for (let i = 0; i < 40; i++) y = tanh(matmul(y, m)); // (512, 512)
  heavy.output('y', y);
  saveModel(heavy, heavyPath);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input = (): Float32Array => Float32Array.from({ length: 2 * 256 }, (_, i) => Math.cos(i));

describe('EngineSession', () => {
  it('loads a model with external weights by path and runs typed-array feeds on CPU', async () => {
    const session = await EngineSession.open(modelPath, { device: 'cpu', intraOpThreads: 1 });
    expect(session.device).toBe('cpu');
    expect(session.inputNames).toEqual(['x']);
    const out = await session.run({ x: { dtype: 'float32', data: input(), dims: [2, 256] } });
    expect(out.h?.dims).toEqual([2, 256]);
    const h = out.h!.data as Float32Array;
    expect(out.total!.data[0]).toBeCloseTo(
      h.reduce((s, v) => s + v, 0),
      2,
    );
    await expect(session.run({})).rejects.toThrow('run: missing feeds: x');
    await session.release();
  });

  it('auto falls back to CPU when the CUDA provider cannot load, and says why', async (context) => {
    if (cudaInstalled) context.skip();
    const session = await EngineSession.open(modelPath, { device: 'auto' });
    expect(session.device).toBe('cpu');
    expect(session.reason).toMatch(/^CUDA unavailable, running on CPU: /);
    await session.release();
  });

  it('cuda without the provider fails with the setup command and the CUDA / cuDNN versions', async (context) => {
    if (cudaInstalled) context.skip();
    const opening = EngineSession.open(modelPath, { device: 'cuda' });
    await expect(opening).rejects.toThrow('npm run setup:cuda');
    await expect(EngineSession.open(modelPath, { device: 'cuda' })).rejects.toThrow('CUDA 13 and cuDNN 9');
  });
});

describe('SessionWorker', () => {
  it('runs in a worker thread: the caller keeps running while a long run() is in flight', async () => {
    const worker = new SessionWorker();
    try {
      const opened = await worker.open(heavyPath, { device: 'cpu' });
      expect(opened.outputNames).toEqual(['y']);
      const x = new Float32Array(512 * 512).fill(0.01);
      let ticks = 0;
      let done = false;
      const ticking = (async () => {
        while (!done) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          ticks++;
        }
      })();
      const started = performance.now();
      const out = await worker.run(
        opened.session,
        { x: { dtype: 'float32', data: x, dims: [512, 512] } },
        { transfer: true },
      );
      const elapsed = performance.now() - started;
      done = true;
      await ticking;
      expect(out.y?.dims).toEqual([512, 512]);
      expect(x.length, 'transferred feeds are detached').toBe(0);
      // The timer kept firing through the run: at least one tick per 10 ms of run time.
      expect(ticks).toBeGreaterThan(Math.floor(elapsed / 10));
      await worker.close(opened.session);
      await expect(worker.run(opened.session, {})).rejects.toThrow(`session ${opened.session} is not open`);
    } finally {
      await worker.terminate();
    }
  });

  it('reports the same device fallback as the main thread', async (context) => {
    if (cudaInstalled) context.skip();
    const worker = new SessionWorker();
    try {
      const opened = await worker.open(modelPath, { device: 'auto' });
      expect(opened.device).toBe('cpu');
      expect(opened.reason).toMatch(/^CUDA unavailable/);
      const out = await worker.run(opened.session, {
        x: { dtype: 'float32', data: input(), dims: [2, 256] },
      });
      expect(out.h?.dims).toEqual([2, 256]);
    } finally {
      await worker.terminate();
    }
  });
});
