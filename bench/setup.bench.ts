// Setup of a DPO run at Qwen2.5-0.5B's exact shape, timed piece by piece in one process as the trainer does
// it (bench:scale's run: 8 pairs of 64 + 192 tokens, LoRA r16 on all seven projections, AdamW, clipping, the
// plan the default budget picks): load a random BF16 checkpoint, build, open and run the reference scoring
// graph, then build and open the fused DPO step graph (and run one step with BENCH_STEP=1). Prints seconds
// and resident memory after each piece.
// BENCH_LAYERS (default 24) varies the layer count; BENCH_LEVEL (default 'all') is the step session's graph
// optimization level; BENCH_SAVE=<file> saves onnxruntime's optimized step model there, and
// BENCH_OPEN_SAVED=<file> opens that file (level 'disabled') instead of the emitted step model;
// BENCH_SKIP_REFERENCE=1 feeds zeros instead of running the reference pass (to time the step alone);
// BENCH_CHECKPOINT reuses a checkpoint directory.
// Run: npm run bench:setup   (under `/usr/bin/time -v` for the peak RSS)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freemem, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../src-main/models/index';
import { EngineSession, graphModel, type SessionOptions } from '../src-main/runtime/index';
import { collatePairs, type PairExample } from '../src-main/train/collate';
import { buildFusedStep, buildReferenceGraph } from '../src-main/train/dpo-graph';
import { f32, i64, openGraph } from '../src-main/train/graph-session';
import { headFeeds, headTokens } from '../src-main/train/head-tokens';
import { initLoraState, loraModules, paramNameA, paramNameB } from '../src-main/train/lora-modules';
import { memoryBudget, planMemory } from '../src-main/train/memory-plan';
import { DPO_DEFAULTS } from '../src-main/train/objectives';
import { baseReferenceState } from '../src-main/train/reference-logps';
import { Rng } from '../src-main/train/rng';
import { optimizerConfig } from '../src-main/train/step-runner';
import { TRAIN_DEFAULTS } from '../src-main/train/train-args';
import { KNOWN_CONFIGS, writeRandomCheckpoint, type KnownModel } from './random-checkpoint';

const LAYERS = Number(process.env.BENCH_LAYERS);
const LEVEL = (process.env.BENCH_LEVEL ?? 'all') as NonNullable<SessionOptions['optimizationLevel']>;
const STEPS = Number(process.env.BENCH_STEP ?? 0);
const MODEL = (process.env.BENCH_MODEL ?? 'qwen2.5-0.5b') as KnownModel;
const ARENA = process.env.BENCH_ARENA !== 'off';
const SKIP_REFERENCE = process.env.BENCH_SKIP_REFERENCE === '1'; // zeros for the reference log-probs
const PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const [PAIRS, PROMPT, COMPLETION] = [8, 64, 192];

const mib = (): string => (process.memoryUsage().rss / 2 ** 20).toFixed(0);
async function timed<T>(label: string, f: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await f();
  const seconds = ((performance.now() - start) / 1000).toFixed(1).padStart(6);
  console.log(`${label.padEnd(44)} ${seconds} s  ${mib().padStart(6)} MiB`);
  return result;
}

/** bench:scale's pairs: random ids from the same LCG. */
function pairs(vocab: number): PairExample[] {
  let s = 11;
  const ids = (n: number): number[] =>
    Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return 1 + (s % (vocab - 1));
    });
  return Array.from({ length: PAIRS }, () => ({
    prompt: ids(PROMPT),
    chosen: ids(COMPLETION),
    rejected: ids(COMPLETION),
  }));
}

async function main(): Promise<void> {
  const given = process.env.BENCH_CHECKPOINT;
  const dir = given ?? mkdtempSync(join(tmpdir(), 'bench-setup-'));
  try {
    if (!given || !existsSync(join(dir, 'config.json')))
      writeRandomCheckpoint(dir, {
        ...KNOWN_CONFIGS[MODEL](),
        ...(process.env.BENCH_LAYERS ? { num_hidden_layers: LAYERS } : {}),
      });
    console.log(
      `${MODEL} shape, step level ${LEVEL}, arena ${ARENA}, load average ${loadavg()[0]?.toFixed(1)}`,
    );
    const started = performance.now();
    const model = await timed('loadCheckpoint', () => loadCheckpoint(dir));
    const examples = pairs(model.config.vocabSize);
    const modules = loraModules(model.config, PROJECTIONS);
    const state = initLoraState(modules, 16, new Rng(1));
    const weightBytes = [...model.weights.values()].reduce((n, t) => n + t.data.byteLength, 0);
    const plan = planMemory(
      {
        config: model.config,
        weightBytes,
        loraParams: [...state.values()].reduce((n, t) => n + t.length, 0),
        optimizer: 'adamw',
        maxLength: PROMPT + COMPLETION,
      },
      { batchSize: PAIRS, minGradAccum: 1, loraR: 16, budget: memoryBudget(undefined, freemem()) },
    );
    console.log(
      `  plan: micro-batch ${plan.microBatch}, recompute ${plan.recompute}, ${plan.headChunks} head chunks`,
    );
    const lora = { r: 16, alpha: 32 };
    const policy = {
      config: model.config,
      weights: model.weights,
      modules,
      lora,
      headChunks: plan.headChunks,
    };
    const batch = collatePairs(examples, {});
    const tokenFeeds = {
      input_ids: i64(batch.inputIds, batch.dims), // (2B, T)
      attention_mask: i64(batch.attentionMask, batch.dims),
      ...headFeeds(headTokens(batch, plan.headChunks), batch),
    };
    const referenceGraph = await timed('build the reference scoring graph', () =>
      buildReferenceGraph({ ...policy, state: baseReferenceState(state) }),
    );
    const reference = await timed('open its session', () =>
      openGraph(referenceGraph, 'reference', { device: 'cpu' }),
    );
    const loraFeeds = Object.fromEntries(
      modules.flatMap((m) => [
        [paramNameA(m.module), f32(state.get(paramNameA(m.module)) as Float32Array, [16, m.inFeatures])],
        [paramNameB(m.module), f32(new Float32Array(m.outFeatures * 16), [m.outFeatures, 16])], // B = 0: base
      ]),
    );
    const refOut = SKIP_REFERENCE
      ? { sequence_logps: f32(new Float32Array(2 * PAIRS), [2 * PAIRS]) }
      : await timed(`reference pass (${PAIRS} pairs)`, () =>
          reference.session.run({ ...loraFeeds, ...tokenFeeds }, ['sequence_logps']),
        );
    await timed('close it', () => reference.close());
    const logps = refOut.sequence_logps?.data as Float32Array;
    const spec = {
      ...policy,
      state,
      method: 'dpo' as const,
      loss: DPO_DEFAULTS,
      recompute: plan.recompute,
    };
    const built = await timed('build the fused DPO step graph', () =>
      buildFusedStep(spec, optimizerConfig(TRAIN_DEFAULTS), 1),
    );
    console.log(`  (${built.graph.nodes.length} nodes)`);
    const saved = process.env.BENCH_OPEN_SAVED;
    const options: SessionOptions = {
      device: 'cpu',
      optimizationLevel: saved ? 'disabled' : LEVEL,
      ...(ARENA ? {} : { cpuArena: false }),
      ...(process.env.BENCH_SAVE ? { saveOptimizedTo: process.env.BENCH_SAVE } : {}),
    };
    const session = await timed(`open its session (${options.optimizationLevel})`, () => {
      const emitted = graphModel(built.graph, { cpuOnly: true });
      return EngineSession.openGraph(
        saved ? { ...emitted, withInputs: readFileSync(saved) } : emitted,
        options,
      );
    });
    console.log(`setup (load to step session open) ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (let n = 0; n < STEPS; n++) {
      const feeds: Record<string, ReturnType<typeof f32>> = {};
      for (const slot of built.step.slots) {
        const size = slot.shape.reduce<number>((a, d) => a * (d as number), 1);
        feeds[slot.input] = f32(
          slot.init === 'param' ? (state.get(slot.input) as Float32Array) : new Float32Array(size),
          slot.shape as number[],
        );
      }
      const out = await timed(`step ${n + 1}`, () =>
        session.run({
          ...feeds,
          ...tokenFeeds,
          lr: f32(Float32Array.of(5e-5), []),
          ref_chosen: f32(logps.slice(0, PAIRS), [PAIRS]),
          ref_rejected: f32(logps.slice(PAIRS), [PAIRS]),
          ref_from_policy: f32(new Float32Array(PAIRS), [PAIRS]),
          chosen_rows: i64(
            BigInt64Array.from({ length: PAIRS }, (_, i) => BigInt(i)),
            [PAIRS],
          ),
          rejected_rows: i64(
            BigInt64Array.from({ length: PAIRS }, (_, i) => BigInt(PAIRS + i)),
            [PAIRS],
          ),
        }),
      );
      const scalar = (name: string): number => (out[name]?.data as Float32Array)[0] as number;
      console.log(`  loss ${scalar('loss')}, grad_norm ${scalar('grad_norm')}`);
    }
    await session.release();
  } finally {
    if (!given) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
