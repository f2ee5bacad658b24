// The trainer (DPO, KTO or ORPO from the objective table), one explicit loop (nanoGPT style): reference
// log-probs once, then per optimizer step
// collate -> forward/backward (micro-batches) -> clip -> AdamW/SGD -> check finite -> log -> eval ->
// checkpoint; finally the PEFT adapter. Resumes from <out>/checkpoint to the same result as an unbroken run.
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type Checkpoint as ModelCheckpoint } from '../models/index';
import { defaultSessionCacheDir, type Device } from '../runtime/index';
import {
  readCheckpoint,
  recoverCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type CheckpointWriteOptions,
} from './checkpoint';
import type { PairExample } from './collate';
import { defaultTargetModules, fanInFanOut } from './lora';
import { initLoraState, loraModules, toPeftAdapter, type LoraState } from './lora-modules';
import { writePeftAdapter, type SafetensorsWriter } from './peft-export';
import { Rng } from './rng';
import { memoryBudget, planMemory, sessionMemory, type MemoryPlan } from './memory-plan';
import { maxAbs, RunHealth, unusualSettings } from './run-health';
import { learningRate } from './schedule';
import { OBJECTIVES } from './objectives';
import { baseReferenceState, referenceLogps, type ReferenceLogpCache } from './reference-logps';
import { StepRunner } from './step-runner';
import type { TrainArgs } from './train-args';

export interface TrainDpoInput {
  model: ModelCheckpoint;
  examples: readonly PairExample[];
  outDir: string;
  args: TrainArgs;
  /** Start from this adapter (its r, alpha and modules) instead of a fresh PEFT init. */
  initAdapter?: { r: number; alpha: number; targetModules: string[]; state: LoraState };
  /** Require <out>/checkpoint to exist (it is used automatically whenever it exists). */
  resume?: boolean;
  padTokenId?: number;
  /**
   * Indices of `examples` to train on and to evaluate on (a dataset's own split); without it the seed
   * draws `args.evalSplit` of the pairs for evaluation.
   */
  split?: { train: readonly number[]; eval: readonly number[] };
  /**
   * Reference log-probs from and into this cache (keyed by the reference: the model's weights and, for
   * `args.reference` 'init', the starting adapter; and by the tokens scored).
   */
  referenceCache?: ReferenceLogpCache;
  /**
   * Where onnxruntime's optimized models of the run's graphs are kept between runs (optimized-cache.ts);
   * default defaultSessionCacheDir(), null for none.
   */
  sessionCacheDir?: string | null;
  /** Abort after the current step: a checkpoint is written and the run ends 'cancelled'. */
  signal?: AbortSignal;
  /** Fault points inside each checkpoint write (tests kill the run there). */
  checkpointWrite?: CheckpointWriteOptions;
  onStart?(info: TrainStartInfo): void;
  onLog?(row: Record<string, number>): void;
  /** Settings outside the usual ranges (before step 1), a loss stuck at ln 2, adapter weights blowing up. */
  onWarning?(message: string): void;
}

export interface TrainStartInfo {
  device: Device;
  /** The micro-batch, recomputation and head chunks chosen for the memory budget, with the estimate. */
  memory: MemoryPlan;
  reason?: string;
  totalSteps: number;
  startStep: number;
  /** Reference log-probs of pairs taken from the cache, and of pairs scored for this run. */
  cachedPairs: number;
  scoredPairs: number;
  trainPairs: number;
  evalPairs: number;
}

export interface TrainDpoResult {
  status: 'completed' | 'cancelled';
  steps: number;
  device: Device;
  state: LoraState;
  /** The last logged training row (none when a resumed run had nothing left to do). */
  last: Record<string, number> | undefined;
}

export const CHECKPOINT_DIR = 'checkpoint';
export const METRICS_FILE = 'metrics.jsonl';

/** F32 adapter tensors through the models' safetensors writer. */
export const safetensorsIO: SafetensorsWriter = {
  writeSafetensors: async (path, tensors, metadata) =>
    writeSafetensors(
      path,
      new Map(Object.entries(tensors).map(([k, t]) => [k, { dims: t.shape, data: t.data }])),
      'F32',
      metadata,
    ),
};

/** The frozen weights' bytes as the run holds them (the stored dtype: bf16/f16 stay 2 bytes), one copy. */
const heldWeightBytes = (weights: ModelCheckpoint['weights']): number =>
  [...weights.values()].reduce((n, t) => n + t.data.byteLength, 0);

/** The longest sequence a batch can hold: the longest prompt + completion, at most maxLength. */
function longestSequence(examples: readonly PairExample[], maxLength: number): number {
  let longest = 1;
  for (const e of examples)
    longest = Math.max(longest, e.prompt.length + Math.max(e.chosen.length, e.rejected.length));
  return Math.min(longest, maxLength);
}

/** Whether two LoRA states hold the same numbers (the policy still is its reference). */
function sameTensors(a: LoraState, b: LoraState): boolean {
  if (a.size !== b.size) return false;
  for (const [name, x] of a) {
    const y = b.get(name);
    if (!y || y.length !== x.length || x.some((v, i) => v !== y[i])) return false;
  }
  return true;
}

/** A step produced NaN or Inf; nothing of it was kept. */
export class NotFiniteError extends Error {}

/**
 * Keeps one row per step up to `step` (the checkpoint the run resumes from; 0 when it starts over): a
 * killed run may have logged past its last checkpoint, or died in the middle of a line. Rewritten through
 * a temporary file and a rename, so a kill here leaves the old file or the new one.
 */
async function keepMetricsUpTo(path: string, step: number): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const byStep = new Map<number, string>();
  for (const line of text.split('\n')) {
    let row: { step?: unknown };
    try {
      row = JSON.parse(line) as { step?: unknown };
    } catch {
      continue; // a blank line, or the torn last line of a killed run
    }
    if (typeof row.step === 'number' && row.step >= 1 && row.step <= step && !byStep.has(row.step))
      byStep.set(row.step, line);
  }
  const kept = [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, line]) => `${line}\n`);
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, kept.join(''));
  await rename(temporary, path);
}

/** The first non-finite number of a step (loss, grad norm, any updated tensor), if any. */
function firstNotFinite(
  loss: number,
  gradNorm: number,
  next: Map<string, Float32Array>,
): [string, number] | undefined {
  if (!Number.isFinite(loss)) return ['loss', loss];
  if (!Number.isFinite(gradNorm)) return ['grad_norm', gradNorm];
  for (const [name, data] of next) {
    const bad = data.find((v) => !Number.isFinite(v));
    if (bad !== undefined) return [name, bad];
  }
  return undefined;
}

/**
 * Settings a checkpoint must share with the run that resumes it. The device, the cadences and the split of
 * a step into micro-batches may change (an out-of-memory retry doubles gradAccum: the same step in math).
 */
function resumeKey(input: TrainDpoInput, totalSteps: number, lora: unknown): Record<string, unknown> {
  const {
    device: _device,
    evalEvery: _evalEvery,
    checkpointEvery: _checkpointEvery,
    gradAccum: _gradAccum,
    ...args
  } = input.args;
  return {
    args: { ...args, maxSteps: totalSteps },
    lora,
    examples: input.examples.length,
    model: input.model.folder,
  };
}

/** The eval and train rows: the given split, or `evalSplit` of a seeded permutation. */
function splitRows(input: TrainDpoInput, rng: Rng): { evalRows: number[]; trainRows: number[] } {
  const n = input.examples.length;
  if (input.split) {
    const all = [...input.split.train, ...input.split.eval];
    if (all.some((i) => !Number.isInteger(i) || i < 0 || i >= n) || new Set(all).size !== all.length)
      throw new Error(`split: the train and eval indices must be distinct pair numbers in 0..${n - 1}`);
    if (input.split.train.length === 0) throw new Error('split: there are no training pairs');
    return { evalRows: [...input.split.eval], trainRows: [...input.split.train] };
  }
  const split = rng.permutation(n);
  const evalCount = Math.floor(n * input.args.evalSplit);
  if (n - evalCount < 1) throw new Error(`--eval-split ${input.args.evalSplit} leaves no training pairs`);
  return { evalRows: split.slice(0, evalCount), trainRows: split.slice(evalCount) };
}

function checkResumable(saved: Checkpoint, meta: Record<string, unknown>, dir: string): void {
  const differs = Object.keys(meta).find((k) => JSON.stringify(meta[k]) !== JSON.stringify(saved.meta[k]));
  if (differs)
    throw new Error(
      `${dir}: the checkpoint was written by a run with different ${differs}; use another --out`,
    );
}

export async function trainDpo(input: TrainDpoInput): Promise<TrainDpoResult> {
  const { model, examples, outDir, args } = input;
  const { config } = model;
  const layout = config.weightLayout; // picks the default targets; 'gpt2' is Conv1D (fan_in_fan_out)
  // ---- data: the eval split and the batch arithmetic ----
  const rng = new Rng(args.seed); // draws, in order: the split, the LoRA init, one permutation per epoch
  const { evalRows, trainRows } = splitRows(input, rng);
  const evalCount = evalRows.length;
  const collate = {
    padTokenId: input.padTokenId ?? 0,
    maxLength: args.maxLength ?? Math.min(1024, config.maxPositions),
  };
  const stepsPerEpoch = Math.ceil(trainRows.length / args.batchSize);
  const totalSteps = args.maxSteps ?? args.epochs * stepsPerEpoch;

  // ---- LoRA modules and where training starts: fresh PEFT init, --adapter-init, or the checkpoint ----
  const init = input.initAdapter;
  const lora = init
    ? { r: init.r, alpha: init.alpha, targets: init.targetModules }
    : { r: args.loraR, alpha: args.loraAlpha, targets: args.loraTargets ?? defaultTargetModules(layout) };
  const modules = loraModules(config, lora.targets);
  let state: LoraState = init ? new Map(init.state) : initLoraState(modules, lora.r, rng);
  // The reference: the starting adapter frozen (TRL's choice for a model that carries an adapter), or the
  // base model; without a starting adapter both are the base model.
  const referenceKind = init && args.reference === 'init' ? 'init' : 'base';
  const referenceState = referenceKind === 'init' ? new Map(state) : baseReferenceState(state);
  const meta = resumeKey(input, totalSteps, lora);
  const checkpointDir = join(outDir, CHECKPOINT_DIR);
  const saved = await recoverCheckpoint(checkpointDir);
  if (input.resume && !saved) throw new Error(`--resume: there is no checkpoint in ${checkpointDir}`);
  let step = 0;
  let order: number[] = [];
  let epochRng = rng;
  const optimizerState = new Map<string, Float32Array>();
  if (saved) {
    checkResumable(saved, meta, checkpointDir);
    step = saved.step;
    order = saved.dataOrder;
    epochRng = Rng.fromState(saved.rngState);
    state = new Map(Object.entries(saved.adapter).map(([k, t]) => [k, Float32Array.from(t.data)]));
    for (const [k, t] of Object.entries(saved.optimizer)) optimizerState.set(k, Float32Array.from(t.data));
  }
  // ---- the memory plan: micro-batch, recomputation and head chunks for the budget, or a refusal ----
  const memory = planMemory(
    {
      config,
      weightBytes: heldWeightBytes(model.weights),
      loraParams: [...state.values()].reduce((n, t) => n + t.length, 0),
      optimizer: args.optimizer,
      maxLength: longestSequence(examples, collate.maxLength),
      halfWeights: [...model.weights.values()].some((t) => t.data instanceof Uint16Array),
    },
    {
      batchSize: args.batchSize,
      minGradAccum: args.gradAccum,
      loraR: lora.r,
      budget: memoryBudget(args.maxMemory, freemem()),
    },
  );
  const runArgs = { ...args, gradAccum: memory.gradAccum };

  await keepMetricsUpTo(join(outDir, METRICS_FILE), step);
  await mkdir(outDir, { recursive: true });
  const resolved = {
    ...args,
    maxSteps: totalSteps,
    model: model.folder,
    lora_r: lora.r,
    lora_alpha: lora.alpha,
    lora_targets: lora.targets,
    max_length: collate.maxLength,
    truncation_mode: 'keep_start', // collate.ts truncatePair, as TRL's default
    reference: referenceKind,
    train_pairs: trainRows.length,
    eval_pairs: evalCount,
    steps_per_epoch: stepsPerEpoch,
    micro_batch: memory.microBatch,
    recompute: memory.recompute,
    head_chunks: memory.headChunks,
    estimated_peak_gb: Number((memory.estimate.total / 2 ** 30).toFixed(3)),
  };
  await writeFile(join(outDir, 'training_args.json'), `${JSON.stringify(resolved, null, 2)}\n`);

  for (const warning of unusualSettings(args)) input.onWarning?.(warning);

  // The first step's rows, drawn before the reference pass: until the first update the policy is the
  // reference (a fresh adapter's B = 0 against the base, or the starting adapter against itself), so the
  // first step scores its own pairs' reference log-probs in its forward pass instead of a pass of its own.
  let drawnAt = -1; // the step whose epoch permutation is drawn already
  const rowsOf = (at: number): number[] => {
    if (at % stepsPerEpoch === 0 && drawnAt !== at) {
      order = epochRng.permutation(trainRows.length); // a new epoch
      drawnAt = at;
    }
    const from = (at % stepsPerEpoch) * args.batchSize;
    return order.slice(from, from + args.batchSize).map((i) => trainRows[i] as number);
  };
  const cacheDir = input.sessionCacheDir === undefined ? defaultSessionCacheDir() : input.sessionCacheDir;
  // onnxruntime's CPU arena and memory pattern as the plan has them (sessionMemory, docs/benchmarks.md).
  const session = { ...(cacheDir ? { cacheDir } : {}), ...sessionMemory(memory.recompute) };
  const firstStep = step === 0 && step < totalSteps && sameTensors(state, referenceState) ? rowsOf(0) : [];

  // ---- reference log-probs through the policy's graph, computed once (or from the cache); none for an
  // objective without a reference (ORPO: one model, one forward less per step) ----
  const reference = OBJECTIVES[args.method].reference
    ? await referenceLogps(
        { kind: referenceKind, config, weights: model.weights, modules, lora, state: referenceState },
        examples,
        {
          collate,
          batchSize: memory.microBatch,
          device: args.device,
          headChunks: memory.headChunks,
          firstStep,
          session,
        },
        input.referenceCache,
      )
    : { refs: undefined, cachedPairs: 0, scoredPairs: 0, store: async () => undefined };

  const spec = {
    config,
    weights: model.weights,
    modules,
    state,
    lora,
    method: args.method,
    loss: {
      loss: args.loss,
      beta: args.beta,
      labelSmoothing: args.labelSmoothing,
      sftWeight: args.sftWeight,
      desirableWeight: args.desirableWeight,
      undesirableWeight: args.undesirableWeight,
    },
    pairWeights: args.pairWeights,
    headChunks: memory.headChunks,
    recompute: memory.recompute,
  };
  const runner = await StepRunner.open(
    spec,
    runArgs,
    {
      examples,
      ...(reference.refs ? { refs: reference.refs } : {}),
      collate,
      pairWeights: args.pairWeights,
      headChunks: memory.headChunks,
    },
    { withEval: evalCount > 0, optimizerState, session },
  );
  try {
    const { device, reason } = runner.session;
    input.onStart?.({
      device,
      memory,
      ...(reason ? { reason } : {}),
      totalSteps,
      startStep: step,
      cachedPairs: reference.cachedPairs,
      scoredPairs: reference.scoredPairs,
      trainPairs: trainRows.length,
      evalPairs: evalCount,
    });
    let last: Record<string, number> | undefined;
    const health = new RunHealth();
    // ---- the loop: one optimizer step per iteration ----
    for (; step < totalSteps; step++) {
      const started = performance.now();
      const rows = rowsOf(step);
      const lr = learningRate(
        { kind: args.schedule, lr: args.lr, totalSteps, warmupRatio: args.warmupRatio },
        step,
      );
      const result = await runner.step(rows, lr, step === 0); // forward, backward, clip, update
      const bad = firstNotFinite(result.metrics.loss as number, result.gradNorm, result.next);
      if (bad) {
        const kept = await readCheckpoint(checkpointDir);
        throw new NotFiniteError(
          `training stopped at step ${step + 1}: ${bad[0]} is not finite (${bad[1]}); ` +
            (kept
              ? `the last good checkpoint (step ${kept.step}) is kept in ${checkpointDir}`
              : 'no checkpoint was written yet') +
            '; try a lower --lr or --max-grad-norm',
        );
      }
      for (const [k, v] of result.next) runner.values.set(k, v);
      if (result.scoredReferences.size > 0) {
        runner.adoptReferences(result.scoredReferences);
        await reference.store(result.scoredReferences);
      }
      const seconds = (performance.now() - started) / 1000;
      last = {
        step: step + 1,
        epoch: (step + 1) / stepsPerEpoch,
        ...result.metrics,
        grad_norm: result.gradNorm,
        learning_rate: lr,
        'tokens/s': result.tokens / seconds,
        'adapter/max_abs': maxAbs(runner.state.values()),
      };
      for (const warning of health.check(
        { step: step + 1, loss: last.loss as number },
        last['adapter/max_abs']!,
      ))
        input.onWarning?.(warning);
      const evalDue = evalCount > 0 && ((step + 1) % args.evalEvery === 0 || step + 1 === totalSteps);
      const row = evalDue ? { ...last, ...(await runner.evaluate(evalRows)) } : last;
      await appendFile(join(outDir, METRICS_FILE), `${JSON.stringify(row)}\n`);
      input.onLog?.(row);
      const cancelled = input.signal?.aborted === true && step + 1 < totalSteps;
      if ((step + 1) % args.checkpointEvery === 0 || step + 1 === totalSteps || cancelled)
        await writeCheckpoint(
          checkpointDir,
          {
            step: step + 1,
            dataOrder: order,
            rngState: epochRng.state,
            ...runner.checkpointTensors(),
            meta,
          },
          input.checkpointWrite,
        );
      if (cancelled)
        return { status: 'cancelled', steps: step + 1, device: runner.device, state: runner.state, last };
    }
    // ---- outputs: the PEFT adapter (keys base_model.model.<module>.lora_A.weight) ----
    const adapter = toPeftAdapter(runner.state, modules, {
      r: lora.r,
      alpha: lora.alpha,
      targetModules: lora.targets,
      baseModel: model.folder,
      fanInFanOut: fanInFanOut(layout),
    });
    await writePeftAdapter(outDir, adapter, safetensorsIO);
    return { status: 'completed', steps: totalSteps, device: runner.device, state: runner.state, last };
  } finally {
    await runner.close();
  }
}
