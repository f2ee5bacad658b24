// Setup of a DPO run at Qwen2.5-0.5B's exact shape, timed piece by piece in one process: load a random BF16
// checkpoint, build and open the reference scoring graph, build and open the fused DPO step graph (LoRA r16
// on all seven projections, AdamW, clipping), each as the trainer opens them (weights as graph inputs, CPU).
// Prints seconds and resident memory after each piece. BENCH_LAYERS (default 24) varies the layer count
// to show how opening grows with the graph; BENCH_RECOMPUTE=1 builds the step with per-layer recomputation;
// BENCH_CHECKPOINT reuses a checkpoint directory.
// Run: npm run bench:setup   (under `/usr/bin/time -v` for the peak RSS)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, buildScoringGraph } from '../src-main/models/index';
import { buildFusedStep } from '../src-main/train/dpo-graph';
import { openGraph } from '../src-main/train/graph-session';
import { initLoraState, loraModules } from '../src-main/train/lora-modules';
import { DPO_DEFAULTS } from '../src-main/train/objectives';
import { Rng } from '../src-main/train/rng';
import { qwen25_05bConfig, writeRandomCheckpoint } from './random-checkpoint';

const LAYERS = Number(process.env.BENCH_LAYERS ?? 24);
const RECOMPUTE = process.env.BENCH_RECOMPUTE === '1';
const PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

const mib = (): string => (process.memoryUsage().rss / 2 ** 20).toFixed(0);
const rows: string[] = [];
async function timed<T>(label: string, f: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await f();
  const line = `${label.padEnd(44)} ${((performance.now() - start) / 1000).toFixed(1).padStart(6)} s  ${mib().padStart(6)} MiB`;
  rows.push(line);
  console.log(line);
  return result;
}

async function main(): Promise<void> {
  const given = process.env.BENCH_CHECKPOINT;
  const dir = given ?? mkdtempSync(join(tmpdir(), 'bench-setup-'));
  try {
    if (!given || !existsSync(join(dir, 'model.safetensors')))
      writeRandomCheckpoint(dir, { ...qwen25_05bConfig(), num_hidden_layers: LAYERS });
    console.log(
      `Qwen2.5-0.5B shape, ${LAYERS} layers, recompute ${RECOMPUTE}, load average ${loadavg()[0]?.toFixed(1)}`,
    );
    const model = await timed('loadCheckpoint', () => loadCheckpoint(dir));
    const reference = await timed('build the reference scoring graph', () =>
      buildScoringGraph(model.config, model.weights),
    );
    const opened = [
      await timed('open its session', () => openGraph(reference, 'reference', { device: 'cpu' })),
    ];
    const modules = loraModules(model.config, PROJECTIONS);
    const spec = {
      config: model.config,
      weights: model.weights,
      modules,
      state: initLoraState(modules, 16, new Rng(1)),
      lora: { r: 16, alpha: 32 },
      method: 'dpo' as const,
      loss: DPO_DEFAULTS,
      recompute: RECOMPUTE,
    };
    const adamw = { kind: 'adamw' as const, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    const step = await timed('build the fused DPO step graph', () => buildFusedStep(spec, adamw, 1).graph);
    console.log(`  (${step.nodes.length} nodes)`);
    opened.push(await timed('open its session', () => openGraph(step, 'step', { device: 'cpu' })));
    for (const o of opened) await o.close();
  } finally {
    if (!given) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
