// Best-of-8 sampling, 64 new tokens, workbench (runGeneration: prefill once, fork the cache, batched decode in
// the session worker) vs a PyTorch loop with a KV cache (bench/generate_torch.py: prefill once, expand the
// cache to 8 rows, the same warpers), on CPU with the same thread count, on a random model shaped like
// SmolLM2-135M (F32), or with BENCH_MODEL=qwen2.5-0.5b one shaped like Qwen2.5-0.5B (BF16, bench/random-
// checkpoint.ts), written as a Hugging Face checkpoint to a temporary folder. Prints peak RSS of both sides.
// Run: npm run bench:generate   (BENCH_THREADS default all cores, BENCH_REPEATS default 3, BENCH_LAYERS 30;
// BENCH_MODEL smollm2-135m (default) or qwen2.5-0.5b)
// or `npx tsx bench/generate.bench.ts write DIR` to write the checkpoint alone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { characterTokenizerJson, PRINTABLE_CHARACTERS } from '../src-main/generate/checkpoint-fixture';
import { loadGenerator } from '../src-main/generate/index';
import { runGeneration, type GenerationRequest } from '../src-main/services/generate/generate-job';
import { KNOWN_CONFIGS, writeRandomCheckpoint } from './random-checkpoint';
import { smolLm2Config, writeRandomLlama } from './smollm2-checkpoint';

const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 30);
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
const [N, NEW_TOKENS] = [8, 64];
const SAMPLING = { temperature: 1, topK: 50, topP: 0.9 };
const PROMPT = 'Write a short note to a friend about the weather this week.';

const MODEL = process.env.BENCH_MODEL ?? 'smollm2-135m';
const REAL = KNOWN_CONFIGS[MODEL]?.();
if (MODEL !== 'smollm2-135m' && !REAL)
  throw new Error(`BENCH_MODEL: smollm2-135m or ${Object.keys(KNOWN_CONFIGS).join(', ')}`);
const CONFIG = REAL ?? smolLm2Config(LAYERS);

/**
 * The tokenizer: the printable characters (so the prompt encodes), then filler tokens that decode to short
 * words, filling the vocabulary. generation_config.json sets no eos, so every candidate runs 64 tokens.
 */
function writeModel(dir: string): void {
  if (REAL) writeRandomCheckpoint(dir, REAL);
  else writeRandomLlama(dir, smolLm2Config(LAYERS));
  const tokens = ['<unk>', '<s>', '</s>', ...PRINTABLE_CHARACTERS];
  for (let i = tokens.length; i < CONFIG.vocab_size; i++) tokens.push(` w${i}`);
  const files = {
    'tokenizer.json': characterTokenizerJson(tokens, 3),
    'tokenizer_config.json': { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
    'generation_config.json': { eos_token_id: [] },
  };
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), JSON.stringify(content));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface TorchResult {
  seconds: number[];
  tokens: number;
  threads: number;
  torch: string;
  blas: string[];
  maxRssMiB: number;
}

function torchReference(dir: string, promptIds: number[]): TorchResult {
  const env = { ...process.env };
  if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = [OPENBLAS, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const script = new URL('./generate_torch.py', import.meta.url).pathname;
  const settings = {
    threads: THREADS,
    repeats: REPEATS,
    n: N,
    newTokens: NEW_TOKENS,
    promptIds,
    ...SAMPLING,
  };
  const out = execFileSync('/usr/bin/python3', [script, dir, JSON.stringify(settings)], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as TorchResult;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'generate-bench-'));
  try {
    const startLoad = loadavg()[0] as number;
    writeModel(dir);
    const loadStart = performance.now();
    // The longest stall of this thread's event loop while the model loads (a 10 ms interval's gaps).
    let [lastTick, longestGap] = [loadStart, 0];
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - lastTick);
      lastTick = now;
    }, 10);
    const generator = await loadGenerator({ modelDir: dir, device: 'cpu', intraOpThreads: THREADS });
    clearInterval(ticker);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    longestGap = Math.max(longestGap, performance.now() - lastTick);
    const promptIds = generator.tokenizer.encodeChat(PROMPT);
    const request: GenerationRequest = {
      modelDir: dir,
      prompts: [{ id: 'p', text: PROMPT }],
      n: N,
      maxNewTokens: NEW_TOKENS,
      seed: 1,
      ...SAMPLING,
    };
    const seconds: number[] = [];
    let tokens = 0;
    try {
      for (let run = 0; run <= REPEATS; run++) {
        const result = await runGeneration({ ...request, seed: run }, { generator });
        if (run > 0) seconds.push(result.seconds); // run 0 is the warm-up
        tokens = result.tokens;
      }
    } finally {
      await generator.close();
    }
    const torch = torchReference(dir, promptIds);
    const [w, t] = [median(seconds), median(torch.seconds)];
    const load = `load average (1 min) at start ${startLoad.toFixed(1)}, at end ${(loadavg()[0] as number).toFixed(1)}`;
    console.log(
      `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; threads: ${THREADS} ` +
        `(ORT intra-op, torch.set_num_threads); model: ${REAL ? `${MODEL} shape, BF16` : `SmolLM2-135M shape, ${LAYERS} layers, F32`}; ` +
        `prompt ${promptIds.length} tokens, best-of-${N}, ${NEW_TOKENS} new tokens, ` +
        `temperature ${SAMPLING.temperature}, top-k ${SAMPLING.topK}, top-p ${SAMPLING.topP}; ` +
        `1 warm-up + median of ${REPEATS}`,
    );
    console.log(`torch ${torch.torch}, BLAS loaded: ${torch.blas.join(', ') || 'none found'}`);
    const row = (name: string, a: string, b: string, ratio: string): string =>
      `| ${name.padEnd(22)} | ${a.padStart(9)} | ${b.padStart(9)} | ${ratio.padStart(15)} |`;
    console.log(row('', 'workbench', 'torch', 'workbench/torch'));
    console.log(`| ${'-'.repeat(22)} | --------: | --------: | --------------: |`);
    console.log(row('seconds (median)', w.toFixed(2), t.toFixed(2), (w / t).toFixed(2)));
    console.log(
      row(
        'tokens/s',
        (tokens / w).toFixed(1),
        (torch.tokens / t).toFixed(1),
        (t / w).toFixed(2).concat(' (inv)'),
      ),
    );
    console.log(
      `runs s     workbench ${seconds.map((s) => s.toFixed(2)).join(' ')} | torch ${torch.seconds.map((s) => s.toFixed(2)).join(' ')}`,
    );
    console.log(
      `workbench load (checkpoint, graph, session): ${loadSeconds.toFixed(1)} s, longest event-loop ` +
        `stall meanwhile ${longestGap.toFixed(0)} ms; ${load}`,
    );
    const workbenchRss = process.resourceUsage().maxRSS / 1024; // this process, the generator's worker included
    console.log(`peak RSS MiB: workbench ${workbenchRss.toFixed(0)}, torch ${torch.maxRssMiB.toFixed(0)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `generate.bench.ts write DIR` only writes the checkpoint (for profiling one side by hand).
if (process.argv[2] === 'write') writeModel(process.argv[3] as string);
else await main();
