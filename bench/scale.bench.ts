// DPO at real size: random bf16 checkpoints with Qwen2.5-0.5B's and Llama-3.2-1B's configs, and
// `train dpo --batch-size 8` on 8 pre-tokenized pairs of 64 + 192 tokens, LoRA r 16 / alpha 32 on every
// projection, no --grad-accum (the memory plan picks the micro-batch), run through the CLI under
// /usr/bin/time -v. Prints setup seconds (start to the first step), step seconds, the plan the run chose,
// the RSS when training starts (what setup holds) and the peak RSS. Targets: <= 6 GB for 0.5B, <= 9 GB for 1B.
// Each model's run starts with an empty optimized-model cache (a first run); BENCH_WARM=1 runs it again on
// that cache (every later run of the same model and shapes).
// Run: npm run bench:scale   (BENCH_MODELS default both, comma-separated; BENCH_STEPS default 2;
//                              BENCH_MAX_MEMORY passes --max-memory GB; BENCH_WARM=1)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KNOWN_CONFIGS, writeRandomCheckpoint, type KnownModel } from './random-checkpoint';

const MODELS = (process.env.BENCH_MODELS ?? Object.keys(KNOWN_CONFIGS).join(',')).split(',') as KnownModel[];
const STEPS = Number(process.env.BENCH_STEPS ?? 2);
const [PAIRS, PROMPT, COMPLETION] = [8, 64, 192];
const TARGET_GB: Record<KnownModel, number> = { 'qwen2.5-0.5b': 6, 'llama-3.2-1b': 9 };

/** PAIRS pre-tokenized TRL rows with random ids. */
function writePairs(path: string, vocab: number): void {
  let s = 11;
  const ids = (n: number): number[] =>
    Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return 1 + (s % (vocab - 1));
    });
  const rows = Array.from({ length: PAIRS }, () =>
    JSON.stringify({
      prompt_input_ids: ids(PROMPT),
      chosen_input_ids: ids(COMPLETION),
      rejected_input_ids: ids(COMPLETION),
    }),
  );
  writeFileSync(path, `${rows.join('\n')}\n`);
}

interface ScaleResult {
  model: KnownModel;
  /** 'cold': an empty optimized-model cache; 'warm': the cache a run before filled. */
  cache: 'cold' | 'warm';
  parameters: number;
  setupSeconds: number;
  stepSeconds: number[];
  plan: string;
  peakRssGb: number;
  load: string;
}

/** Runs the CLI under /usr/bin/time -v, timing its stderr lines as they arrive. */
async function trainRun(
  model: KnownModel,
  dir: string,
  parameters: number,
  cache: ScaleResult['cache'],
): Promise<ScaleResult> {
  const args = [
    '-v',
    process.execPath,
    '--import',
    'tsx',
    'src-main/cli/index.ts',
    'train',
    'dpo',
    '--model',
    join(dir, 'model'),
    '--data',
    join(dir, 'pairs.jsonl'),
    '--out',
    join(dir, 'out'),
    '--batch-size',
    String(PAIRS),
    '--lora-r',
    '16',
    '--lora-alpha',
    '32',
    '--lr',
    '5e-5',
    '--max-steps',
    String(STEPS),
    '--eval-split',
    '0',
    '--device',
    'cpu',
    ...(process.env.BENCH_MAX_MEMORY ? ['--max-memory', process.env.BENCH_MAX_MEMORY] : []),
  ];
  const started = performance.now();
  const child = spawn('/usr/bin/time', args, {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, DPO_WORKBENCH_SESSION_CACHE: join(dir, 'sessions') },
  });
  let setupSeconds = Number.NaN;
  let plan = '';
  let peakKb = 0;
  const stepAt: number[] = [];
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const now = (performance.now() - started) / 1000;
      if (line.startsWith('device:')) setupSeconds = now;
      else if (line.startsWith('memory plan:')) plan = line;
      else if (/^step \d+:/.test(line)) stepAt.push(now);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(line);
      if (rss) peakKb = Number(rss[1]);
      if (!/^\s/.test(line) || rss) process.stderr.write(`  [${now.toFixed(1)} s] ${line}\n`);
    }
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`${model}: train dpo exited with ${code}`);
  const stepSeconds = stepAt.map((t, i) => t - (i === 0 ? setupSeconds : (stepAt[i - 1] as number)));
  return {
    model,
    cache,
    parameters,
    setupSeconds,
    stepSeconds,
    plan,
    peakRssGb: (peakKb * 1024) / 2 ** 30,
    load: loadavg()
      .map((l) => l.toFixed(1))
      .join(' '),
  };
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; load average at start ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const results: ScaleResult[] = [];
  for (const model of MODELS) {
    const dir = mkdtempSync(join(tmpdir(), `scale-${model}-`));
    try {
      mkdirSync(join(dir, 'model'));
      // The checkpoint is written by a child process, so this process's memory stays small.
      const self = fileURLToPath(import.meta.url);
      const parameters = Number(
        execFileSync(process.execPath, ['--import', 'tsx', self, 'write', join(dir, 'model'), model], {
          encoding: 'utf8',
        }).trim(),
      );
      writePairs(join(dir, 'pairs.jsonl'), KNOWN_CONFIGS[model]().vocab_size);
      console.error(`${model}: ${(parameters / 1e6).toFixed(0)}M parameters written as bf16; training`);
      results.push(await trainRun(model, dir, parameters, 'cold'));
      if (process.env.BENCH_WARM === '1') {
        rmSync(join(dir, 'out'), { recursive: true, force: true }); // a new run, not a resume
        results.push(await trainRun(model, dir, parameters, 'warm'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log('');
  console.log(
    '| model | params | cache | setup s | step s | plan | RSS at start GB | peak RSS GB | target GB | load (1/5/15 min, at end) |',
  );
  console.log(
    '| ----- | -----: | ----- | ------: | -----: | ---- | --------------: | ----------: | --------: | ------------------------- |',
  );
  for (const r of results)
    console.log(
      `| ${r.model} | ${(r.parameters / 1e6).toFixed(0)}M | ${r.cache} | ${r.setupSeconds.toFixed(1)} | ` +
        `${r.stepSeconds.map((s) => s.toFixed(1)).join(', ')} | ` +
        `${r.plan.replace(/^memory plan: /, '').replace(/; RSS now .*$/, '')} | ` +
        `${/RSS now ([\d.]+) GB/.exec(r.plan)?.[1] ?? '-'} | ${r.peakRssGb.toFixed(2)} | ${TARGET_GB[r.model]} | ${r.load} |`,
    );
}

// Shards of 4 layers, as the hub's larger checkpoints come.
if (process.argv[2] === 'write')
  console.log(
    writeRandomCheckpoint(process.argv[3] as string, KNOWN_CONFIGS[process.argv[4] as KnownModel](), {
      layersPerShard: 4,
    }),
  );
else await main();
