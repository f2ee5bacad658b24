// The data path at 100,000 pairs through the real services: import a TRL JSONL file of ROWS preference rows,
// build a dataset from the imported pairs, export it as TRL JSONL; then the latency of recording a rating
// (the submitRating handler the Rate view calls, input parsed by the API schema as the transports do) with
// ROWS comparisons already stored. Each stage runs in its own process on the same data folder, so its peak
// RSS is its own. Run: npm run bench:data   (BENCH_ROWS default 100000, BENCH_RATINGS default 2000)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { apiContract } from '../src-shared/api';
import { openWorkbench, type Workbench } from '../src-main/services/open-workbench';
import { AnnotatorsRepo } from '../src-main/store/annotators-repo';
import { ComparisonsRepo } from '../src-main/store/comparisons-repo';
import { openDatabase } from '../src-main/store/open-database';
import { PairsRepo } from '../src-main/store/pairs-repo';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const RATINGS = Number(process.env.BENCH_RATINGS ?? 2000);
const FILE = 'prefs.jsonl';
const DATASET = 'bench';

const WORDS =
  'the a model answer question because which data token rate train pair prompt more less good'.split(' ');

/** Deterministic filler text of about `chars` characters, distinct per (row, salt). */
function text(row: number, salt: number, chars: number): string {
  let s = (row * 7919 + salt * 104729) >>> 0;
  const words: string[] = [`#${row}-${salt}`];
  let length = 0;
  while (length < chars) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const word = WORDS[s % WORDS.length] as string;
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ');
}

function writeFile(path: string): void {
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++)
    lines.push(
      JSON.stringify({ prompt: text(i, 0, 120), chosen: text(i, 1, 300), rejected: text(i, 2, 300) }),
    );
  writeFileSync(path, `${lines.join('\n')}\n`);
}

interface StageResult {
  stage: string;
  seconds: number;
  peakRssMb: number;
  heapUsedMb: number;
  peakMallocMb: number;
  detail: Record<string, number | string>;
}

const mb = (bytes: number): number => bytes / (1024 * 1024);

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;

/** One stage in this process; prints its StageResult as the last line. */
async function runStage(stage: string, dir: string): Promise<void> {
  const prefill = stage === 'rate' ? prefillComparisons(join(dir, 'data')) : undefined;
  const workbench: Workbench = openWorkbench({ dataDir: join(dir, 'data'), transport: 'http' });
  const started = performance.now();
  let detail: StageResult['detail'];
  try {
    const { imports, datasets } = workbench.data;
    if (stage === 'import') {
      const bytes = readFileSync(join(dir, FILE));
      const result = await imports.importFile({ fileName: FILE, bytes });
      detail = { rows: result.rows, pairsAdded: result.pairsAdded };
    } else if (stage === 'build') {
      const dataset = datasets.create(DATASET, {
        description: null,
        filters: { includeImported: true },
        evalFraction: 0.05,
        splitSeed: 1,
      });
      detail = { pairs: dataset.stats.pairs, eval: dataset.stats.eval };
    } else if (stage === 'export') {
      const exported = datasets.exportDataset(datasets.idByName(DATASET), 'trl', null);
      writeFileSync(join(dir, 'export.jsonl'), exported.bytes);
      detail = { rows: exported.rows, mb: mb(exported.bytes.length).toFixed(1) };
    } else if (stage === 'rate') {
      detail = await rateStage(workbench, prefill as ReturnType<typeof prefillComparisons>);
    } else throw new Error(`unknown stage ${stage}`);
  } finally {
    workbench.close();
  }
  const result: StageResult = {
    stage,
    seconds: (performance.now() - started) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: mb(process.memoryUsage().heapUsed),
    peakMallocMb: mb(getHeapStatistics().peak_malloced_memory),
    detail,
  };
  console.log(JSON.stringify(result));
}

/**
 * ROWS - RATINGS comparisons by the rating annotator and RATINGS by another one are stored directly (own
 * connection, one transaction, not timed); then, in the workbench, the rating annotator rates the last
 * RATINGS pairs through submitRating.
 */
function prefillComparisons(dataDir: string): { rater: number; ids: number[]; seconds: number } {
  const started = performance.now();
  const { db } = openDatabase(dataDir);
  try {
    const annotators = new AnnotatorsRepo(db);
    const [rater, other] = [annotators.create('bench rater'), annotators.create('bench other')];
    const pairs = new PairsRepo(db);
    const comparisons = new ComparisonsRepo(db);
    const ids = db.prepare<[], number>('SELECT id FROM pairs ORDER BY id').pluck().all();
    if (ids.length < ROWS) throw new Error(`rate: expected ${ROWS} pairs, found ${ids.length}`);
    db.transaction(() => {
      const store = (pairId: number, annotatorId: number) =>
        comparisons.insert({
          pairId,
          annotatorId,
          choice: 'a',
          strength: null,
          note: null,
          timeSpentMs: 1000,
          leftCandidateId: pairs.getPair(pairId)?.candidateA.id as number,
        });
      ids.slice(0, ROWS - RATINGS).forEach((id) => store(id, rater.id));
      ids.slice(0, RATINGS).forEach((id) => store(id, other.id));
    })();
    return { rater: rater.id, ids, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}

async function rateStage(workbench: Workbench, prefill: ReturnType<typeof prefillComparisons>) {
  const { services } = workbench;
  const stored = (await services.getRatingProgress({ annotatorId: prefill.rater })).rated + RATINGS;
  const times: number[] = [];
  const nextTimes: number[] = [];
  const progressTimes: number[] = [];
  for (const pairId of prefill.ids.slice(ROWS - RATINGS, ROWS)) {
    const asked = performance.now();
    const shown = await services.nextPair({ annotatorId: prefill.rater, qualityChecks: false });
    nextTimes.push(performance.now() - asked);
    if (!shown || shown.pairId !== pairId) throw new Error(`rate: expected pair ${pairId} next`);
    const input = apiContract.submitRating.input.parse({
      annotatorId: prefill.rater,
      pairId,
      leftCandidateId: shown.left.candidateId,
      choice: pairId % 3 === 0 ? 'tie' : 'left',
      strength: pairId % 3 === 0 ? null : 2,
      timeSpentMs: 2500,
    });
    const start = performance.now();
    await services.submitRating(input);
    times.push(performance.now() - start);
    const counted = performance.now();
    await services.getRatingProgress({ annotatorId: prefill.rater }); // the counting submitRating also does
    progressTimes.push(performance.now() - counted);
  }
  times.sort((a, b) => a - b);
  nextTimes.sort((a, b) => a - b);
  progressTimes.sort((a, b) => a - b);
  return {
    comparisonsBefore: stored,
    prefillSeconds: prefill.seconds,
    ratings: times.length,
    p50ms: quantile(times, 0.5),
    p99ms: quantile(times, 0.99),
    maxMs: times.at(-1) as number,
    nextPairP50ms: quantile(nextTimes, 0.5),
    nextPairP99ms: quantile(nextTimes, 0.99),
    progressP50ms: quantile(progressTimes, 0.5),
  };
}

function child(stage: string, dir: string): StageResult {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), stage, dir],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    },
  );
  return JSON.parse(out.trim().split('\n').pop() as string) as StageResult;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'data-bench-'));
  try {
    const started = performance.now();
    writeFile(join(dir, FILE));
    const fileMb = mb(statSync(join(dir, FILE)).size);
    const generateSeconds = (performance.now() - started) / 1000;
    const results = ['import', 'build', 'export', 'rate'].map((stage) => {
      const result = child(stage, dir);
      console.error(JSON.stringify(result)); // progress while the next stage runs
      return result;
    });
    console.log(
      `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; Node ${process.version}; ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(
            ' ',
          )}; ${ROWS} rows, file ${fileMb.toFixed(1)} MB (written in ${generateSeconds.toFixed(1)} s)`,
    );
    console.log('| stage  | wall s | peak RSS MiB | heap used after MiB | peak malloc MiB | detail |');
    console.log('| ------ | -----: | -----------: | ------------------: | --------------: | ------ |');
    for (const r of results) {
      const detail = Object.entries(r.detail)
        .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v}`)
        .join(', ');
      console.log(
        `| ${r.stage.padEnd(6)} | ${r.seconds.toFixed(2).padStart(6)} | ${r.peakRssMb.toFixed(0).padStart(12)} | ` +
          `${r.heapUsedMb.toFixed(0).padStart(19)} | ${r.peakMallocMb.toFixed(0).padStart(15)} | ${detail} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] && process.argv[3]) await runStage(process.argv[2], process.argv[3]);
else await main();
