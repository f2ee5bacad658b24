// Engine vs PyTorch on CPU, same thread count: a 1024x1024 matmul chain, forward+backward of a 4-layer MLP,
// and an AdamW update of ~100k floats inside a graph vs in plain JS. Run: npx tsx bench/engine.bench.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Graph,
  grad,
  matmul,
  mul,
  reduceMean,
  saveModel,
  tanh,
  transposeLast,
  adamw,
  ADAMW_DEFAULTS,
} from '../src-main/engine/index';
import { EngineSession, type Feeds } from '../src-main/runtime/index';

const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
const dir = mkdtempSync(join(tmpdir(), 'engine-bench-'));

function random(n: number, scale: number): Float32Array {
  let seed = 12345;
  return Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648 - 0.5) * 2 * scale;
  });
}

async function medianMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

async function session(g: Graph, name: string): Promise<EngineSession> {
  const path = join(dir, `${name}.onnx`);
  saveModel(g, path);
  return EngineSession.open(path, { device: 'cpu', intraOpThreads: THREADS });
}

/** x @ W1 @ ... @ W8 with 1024x1024 matrices; weights are initializers, x is fed each run. */
async function matmulChain(): Promise<number> {
  const n = 1024;
  const g = new Graph();
  let y = g.input('x', 'float32', [n, n]);
  for (let i = 0; i < 8; i++) y = matmul(y, g.param(`w${i}`, random(n * n, 1 / Math.sqrt(n)), [n, n])); // (n, n)
  g.output('y', y);
  const s = await session(g, 'chain');
  const feeds: Feeds = { x: { dtype: 'float32', data: random(n * n, 1), dims: [n, n] } };
  return medianMs(() => s.run(feeds));
}

/** tanh MLP, 4 layers of 1024, batch 256: loss and the 4 weight gradients (which cross back to JS). */
async function mlpForwardBackward(): Promise<number> {
  const [batch, width] = [256, 1024];
  const g = new Graph();
  const x = g.input('x', 'float32', [batch, width]);
  const weights = [0, 1, 2, 3].map((i) =>
    g.param(`w${i}`, random(width * width, 1 / Math.sqrt(width)), [width, width]),
  );
  let h = x;
  for (const w of weights) h = tanh(matmul(h, transposeLast(w))); // (batch, width)
  const loss = reduceMean(mul(h, h));
  g.output('loss', loss);
  grad(loss, weights).forEach((gw, i) => g.output(`grad${i}`, gw));
  const s = await session(g, 'mlp');
  const feeds: Feeds = { x: { dtype: 'float32', data: random(batch * width, 1), dims: [batch, width] } };
  return medianMs(() => s.run(feeds));
}

/** One AdamW update of 100k floats: as a graph (state in and out through ORT) and as a JS loop. */
async function adamwUpdate(): Promise<{ graphMs: number; jsMs: number }> {
  const n = 100_000;
  const { beta1, beta2, eps, weightDecay } = ADAMW_DEFAULTS;
  const g = new Graph();
  const [p, gr, m, v] = ['p', 'g', 'm', 'v'].map((name) => g.input(name, 'float32', [n]));
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  const next = adamw({ param: p!, m: m!, v: v! }, gr!, lr, step, ADAMW_DEFAULTS);
  g.output('p.next', next.param);
  g.output('m.next', next.m);
  g.output('v.next', next.v);
  const s = await session(g, 'adamw');
  const vector = (): Feeds[string] => ({ dtype: 'float32', data: random(n, 1), dims: [n] });
  const scalar = (value: number): Feeds[string] => ({
    dtype: 'float32',
    data: Float32Array.from([value]),
    dims: [],
  });
  const feeds: Feeds = {
    p: vector(),
    g: vector(),
    m: vector(),
    v: vector(),
    lr: scalar(1e-3),
    step: scalar(3),
  };
  const graphMs = await medianMs(() => s.run(feeds));

  const [param, gradient, mState, vState] = [
    random(n, 1),
    random(n, 1),
    random(n, 1),
    random(n, 1).map(Math.abs),
  ];
  const jsMs = await medianMs(() => {
    const [lrValue, t] = [1e-3, 3];
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    for (let i = 0; i < n; i++) {
      const gi = gradient[i] as number;
      const mi = beta1 * (mState[i] as number) + (1 - beta1) * gi;
      const vi = beta2 * (vState[i] as number) + (1 - beta2) * gi * gi;
      mState[i] = mi;
      vState[i] = vi;
      param[i] =
        (param[i] as number) * (1 - lrValue * weightDecay) -
        ((lrValue / c1) * mi) / (Math.sqrt(vi / c2) + eps);
    }
  });
  return { graphMs, jsMs };
}

function torchReference(): { matmul_chain: number; mlp_fwd_bwd: number; blas: string[]; torch: string } {
  const env = { ...process.env };
  if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = [OPENBLAS, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const script = new URL('./engine_torch.py', import.meta.url).pathname;
  const out = execFileSync('/usr/bin/python3', [script, String(THREADS), String(REPEATS)], {
    env,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

try {
  const chain = await matmulChain();
  const mlp = await mlpForwardBackward();
  const update = await adamwUpdate();
  const torch = torchReference();
  const row = (name: string, engine: number, reference: number): string =>
    `| ${name.padEnd(34)} | ${engine.toFixed(1).padStart(9)} | ${reference.toFixed(1).padStart(9)} | ${(engine / reference).toFixed(2).padStart(12)} |`;
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; threads: ${THREADS}; median of ${REPEATS}`,
  );
  console.log(
    `torch ${torch.torch}, BLAS loaded: ${torch.blas.join(', ') || 'none found'} (OpenBLAS path ${existsSync(OPENBLAS) ? 'present' : 'missing'})`,
  );
  console.log('| case                               | engine ms |  torch ms | engine/torch |');
  console.log('| ---------------------------------- | --------: | --------: | -----------: |');
  console.log(row('matmul chain 8 x 1024^3', chain, torch.matmul_chain));
  console.log(row('4-layer MLP fwd+bwd (256 x 1024)', mlp, torch.mlp_fwd_bwd));
  console.log('');
  console.log('| AdamW update, 100k floats          |   ms |');
  console.log('| ---------------------------------- | ---: |');
  console.log(`| in the graph (ORT, state in/out)   | ${update.graphMs.toFixed(2)} |`);
  console.log(`| plain JS loop                      | ${update.jsMs.toFixed(2)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
