// One DPO optimizer step, workbench trainer vs PyTorch, on CPU with the same thread count: LoRA r 16 / alpha
// 32 on q,k,v,o,gate,up,down of a random model shaped like SmolLM2-135M, 4 pairs of 256 tokens (a batch of
// 8 sequences, the last 128 tokens of each are the completion), reference log-probs computed beforehand,
// sigmoid loss, clipping at 1.0, AdamW. Each side runs in its own process (so peak RSS is its own).
// Run: npm run bench:train   (BENCH_WARMUP default 1, BENCH_STEPS default 3, BENCH_LAYERS default 30,
// BENCH_MAX_MEMORY=<GB> the workbench's --max-memory; default: the product's default budget)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint, writeSafetensors } from '../src-main/models/index';
import { loraModules, resolveTrainArgs, trainDpo, type PairExample } from '../src-main/train/index';
import { defaultTargetModules } from '../src-main/train/lora';
import { initLoraState } from '../src-main/train/lora-modules';
import { describePlan } from '../src-main/train/memory-plan';
import { Rng } from '../src-main/train/rng';
import { smolLm2Config, writeRandomLlama } from './smollm2-checkpoint';
import { torchBlas } from './torch-blas';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 30);
const MAX_MEMORY = process.env.BENCH_MAX_MEMORY ? Number(process.env.BENCH_MAX_MEMORY) : undefined;
const THREADS = availableParallelism(); // ORT's default intra-op count is the physical cores; torch gets this
const [PAIRS, PROMPT, COMPLETION] = [4, 128, 128];
const [R, ALPHA, LR, BETA] = [16, 32, 5e-5, 0.1];

/** SmolLM2-135M's config.json; random weights stored as F32. */
const CONFIG = smolLm2Config(LAYERS, { bos: 0, eos: 0 });

/** PAIRS pre-tokenized pairs: a PROMPT-token prompt and COMPLETION-token chosen/rejected answers. */
function writePairs(dir: string): void {
  let s = 7;
  const ids = (n: number): number[] =>
    Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return 1 + (s % (CONFIG.vocab_size - 1));
    });
  const pairs: PairExample[] = Array.from({ length: PAIRS }, () => ({
    prompt: ids(PROMPT),
    chosen: ids(COMPLETION),
    rejected: ids(COMPLETION),
  }));
  writeFileSync(join(dir, 'pairs.json'), JSON.stringify(pairs));
}

interface SideResult {
  side: string;
  step_seconds: number[];
  setup_seconds: number;
  tokens: number;
  peak_rss_mb: number;
  losses: number[];
  grad_norms: number[];
  threads?: number;
  torch?: string;
  blas?: string[];
}

/** The workbench side (child process): trainDpo from a fresh adapter, timed through its logged rows. */
async function workbenchSide(dir: string): Promise<void> {
  const started = performance.now();
  const model = loadCheckpoint(join(dir, 'model'));
  const examples = JSON.parse(readFileSync(join(dir, 'pairs.json'), 'utf8')) as PairExample[];
  const targets = defaultTargetModules('llama');
  const modules = loraModules(model.config, targets);
  const state = initLoraState(modules, R, new Rng(1));
  // The same starting adapter for PyTorch (A random, B zero), so the two runs compute the same numbers.
  writeSafetensors(
    join(dir, 'lora-init.safetensors'),
    new Map(
      modules.flatMap((m) => {
        const a = state.get(`${m.module}.lora_A.weight`) as Float32Array;
        return [[`${m.module}.lora_A.weight`, { dims: [R, m.inFeatures], data: a }]];
      }),
    ),
    'F32',
  );
  const stepSeconds: number[] = [];
  const losses: number[] = [];
  const gradNorms: number[] = [];
  let tokens = 0;
  let firstLog = 0;
  await trainDpo({
    model,
    examples,
    outDir: join(dir, 'workbench-out'),
    args: resolveTrainArgs({
      loraR: R,
      loraAlpha: ALPHA,
      loraTargets: targets,
      lr: LR,
      beta: BETA,
      batchSize: PAIRS,
      maxSteps: WARMUP + STEPS,
      schedule: 'constant',
      maxLength: PROMPT + COMPLETION,
      evalSplit: 0,
      checkpointEvery: 1000,
      device: 'cpu',
      ...(MAX_MEMORY === undefined ? {} : { maxMemory: MAX_MEMORY }),
    }),
    initAdapter: { r: R, alpha: ALPHA, targetModules: targets, state },
    onStart: ({ memory }) => console.error(describePlan(memory)), // stderr is the bench's own
    onLog: (row) => {
      const rate = row['tokens/s'] as number;
      // tokens/s = the step's real tokens / the step's seconds (collate, run, update; no eval or checkpoint).
      tokens = PAIRS * 2 * (PROMPT + COMPLETION);
      stepSeconds.push(tokens / rate);
      losses.push(row.loss as number);
      gradNorms.push(row.grad_norm as number);
      if (firstLog === 0) firstLog = performance.now();
    },
  });
  const result: SideResult = {
    side: 'workbench',
    step_seconds: stepSeconds,
    setup_seconds: (firstLog - started) / 1000 - (stepSeconds[0] ?? 0),
    tokens,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    losses,
    grad_norms: gradNorms,
  };
  console.log(JSON.stringify(result));
}

function lastJsonLine(out: string): SideResult {
  return JSON.parse(out.trim().split('\n').pop() as string) as SideResult;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'train-bench-'));
  try {
    mkdirSync(join(dir, 'model'));
    writeRandomLlama(join(dir, 'model'), CONFIG);
    writePairs(dir);
    const self = fileURLToPath(import.meta.url);
    torchBlas(); // before the long workbench side: fail early without an optimized BLAS
    const workbench = lastJsonLine(
      execFileSync(process.execPath, ['--import', 'tsx', self, 'workbench', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 24,
      }),
    );
    const { env, line: blasLine } = torchBlas(); // refuses the netlib reference BLAS
    const script = new URL('./train_torch.py', import.meta.url).pathname;
    const torch = lastJsonLine(
      execFileSync(
        '/usr/bin/python3',
        [script, dir, String(THREADS), String(WARMUP), String(STEPS), JSON.stringify({ R, ALPHA, LR, BETA })],
        { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
      ),
    );
    const timed = (r: SideResult): number => median(r.step_seconds.slice(WARMUP));
    const [w, t] = [timed(workbench), timed(torch)];
    console.log(
      `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; torch threads ${torch.threads}, ORT intra-op default; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; ` +
        `model: SmolLM2-135M shape, ${LAYERS} layers, F32; batch ${PAIRS} pairs x ${PROMPT + COMPLETION} tokens; ` +
        `${WARMUP} warm-up + median of ${STEPS} steps`,
    );
    console.log(blasLine);
    const row = (name: string, a: string, b: string, ratio: string): string =>
      `| ${name.padEnd(26)} | ${a.padStart(9)} | ${b.padStart(9)} | ${ratio.padStart(15)} |`;
    console.log(row('', 'workbench', 'torch', 'workbench/torch'));
    console.log(`| ${'-'.repeat(26)} | --------: | --------: | --------------: |`);
    console.log(row('step s (median)', w.toFixed(2), t.toFixed(2), (w / t).toFixed(2)));
    console.log(
      row(
        'tokens/s',
        (workbench.tokens / w).toFixed(0),
        (torch.tokens / t).toFixed(0),
        (t / w).toFixed(2).concat(' (inv)'),
      ),
    );
    console.log(
      row(
        'peak RSS MiB',
        workbench.peak_rss_mb.toFixed(0),
        torch.peak_rss_mb.toFixed(0),
        (workbench.peak_rss_mb / torch.peak_rss_mb).toFixed(2),
      ),
    );
    console.log(
      row(
        'setup s (load, ref, build)',
        workbench.setup_seconds.toFixed(1),
        torch.setup_seconds.toFixed(1),
        '',
      ),
    );
    console.log('');
    const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(1).padStart(5)).join(' ');
    const fmt6 = (xs: number[]): string => xs.map((x) => x.toFixed(6)).join(' ');
    console.log(`steps s    workbench ${fmt(workbench.step_seconds)} | torch ${fmt(torch.step_seconds)}`);
    console.log(`loss       workbench ${fmt6(workbench.losses)} | torch ${fmt6(torch.losses)}`);
    console.log(`grad_norm  workbench ${fmt6(workbench.grad_norms)} | torch ${fmt6(torch.grad_norms)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'workbench') await workbenchSide(process.argv[3] as string);
else await main();
