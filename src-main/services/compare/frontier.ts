// The reward-vs-KL frontier of a lineage (base -> round 1 -> round 2 ...), as the DPO paper's fig. 2 plots it:
// per version, its blind win rate over the base (the latest revealed comparison of the two) against its
// KL(version || base), estimated on samples of the version for that comparison's prompts (version-kl.ts).
// Sampling and scoring take minutes, so the frontier is a job (kind 'frontier': progress, cancel) whose
// result stays in the jobs table. An estimate is reused per (version, comparison), from this process or a
// stored frontier: a comparison never changes once revealed.
import type Database from 'better-sqlite3';
import type { Job } from '../../../src-shared/api-jobs';
import {
  Frontier as FrontierSchema,
  type CompareResult,
  type Frontier,
  type FrontierPoint,
} from '../../../src-shared/compare-schemas';
import { ApiError } from '../../../src-shared/errors';
import type { ModelsRepo } from '../../store/models-repo';
import type { KlEstimate } from '../../train/index';
import type { JobContext } from '../jobs/job-runner';
import { versionKl, type VersionKlHooks, type VersionKlOptions } from './version-kl';

/** Samples per prompt for the KL estimate (the comparison's prompts; temperature 1). */
export const FRONTIER_KL_SAMPLES = 2;
export const FRONTIER_JOB_KIND = 'frontier';

type KlOf = (
  modelId: number,
  prompts: readonly string[],
  options: VersionKlOptions,
  hooks: VersionKlHooks,
) => Promise<KlEstimate>;

export interface FrontierJobs {
  start<T>(kind: string, payload: unknown, work: (ctx: JobContext) => Promise<T>): number;
  get(jobId: number): Job | null;
}

interface SessionRow {
  id: number;
  seed: number;
  settingsJson: string;
  resultJson: string | null;
}

export function createFrontier(
  db: Database.Database,
  models: Pick<ModelsRepo, 'resolve' | 'lineage'>,
  jobs: FrontierJobs,
  klOf: KlOf = (modelId, prompts, options, hooks) => versionKl(models, modelId, prompts, options, hooks),
) {
  const cache = new Map<string, KlEstimate>();
  const frontierJobs = db.prepare<[string, number], { id: number }>(
    `SELECT id FROM jobs WHERE kind = ? AND json_extract(payload_json, '$.modelId') = ? ORDER BY id DESC`,
  );
  const storedFrontiers = db.prepare<[string], { resultJson: string }>(
    `SELECT result_json AS resultJson FROM jobs WHERE kind = ? AND status = 'completed' AND result_json IS NOT NULL
      ORDER BY id DESC`,
  );
  const latestComparison = db.prepare<[number, number], SessionRow>(
    `SELECT id, seed, settings_json AS settingsJson, result_json AS resultJson FROM compare_sessions
      WHERE model_a_id = ? AND model_b_id = ? AND status = 'revealed' ORDER BY id DESC LIMIT 1`,
  );
  const promptsOf = db.prepare<[number], { text: string }>(
    'SELECT DISTINCT prompt_text AS text FROM compare_items WHERE session_id = ? ORDER BY position',
  );

  /** An estimate a finished frontier job stored for this version and comparison. */
  function storedKl(modelId: number, comparisonId: number): KlEstimate | undefined {
    for (const { resultJson } of storedFrontiers.iterate(FRONTIER_JOB_KIND)) {
      const parsed = FrontierSchema.safeParse(JSON.parse(resultJson));
      if (!parsed.success) continue;
      const point = parsed.data.points.find((p) => p.modelId === modelId && p.comparisonId === comparisonId);
      if (point?.kl) return point.kl;
    }
    return undefined;
  }

  interface Planned {
    version: { id: number; name: string };
    depth: number;
    comparison: { id: number; seed: number; maxNewTokens: number; result: CompareResult } | null;
    prompts: string[];
  }

  function plan(version: { id: number; name: string }, base: number, depth: number): Planned {
    const row = latestComparison.get(base, version.id);
    if (!row || row.resultJson === null) return { version, depth, comparison: null, prompts: [] };
    const settings = JSON.parse(row.settingsJson) as { maxNewTokens: number };
    return {
      version,
      depth,
      comparison: {
        id: row.id,
        seed: row.seed,
        maxNewTokens: settings.maxNewTokens,
        result: JSON.parse(row.resultJson) as CompareResult,
      },
      prompts: promptsOf.all(row.id).map((p) => p.text),
    };
  }

  async function compute(modelId: number, ctx: Pick<JobContext, 'signal' | 'progress'>): Promise<Frontier> {
    const [base, ...versions] = models.lineage(modelId);
    if (!base) throw new ApiError('not_found', `modelId: no model with id ${modelId}`);
    const planned = versions.map((version, i) => plan(version, base.id, i + 1));
    for (const p of planned) {
      const c = p.comparison;
      if (!c) continue;
      const key = `${p.version.id}:${c.id}`;
      const stored = cache.get(key) ?? storedKl(p.version.id, c.id);
      if (stored) cache.set(key, stored);
    }
    const toScore = planned.filter((p) => p.comparison && !cache.has(`${p.version.id}:${p.comparison.id}`));
    // One unit per prompt sampled and one for scoring a version's samples.
    const total = toScore.reduce((sum, p) => sum + p.prompts.length + 1, 0);
    let done = 0;
    ctx.progress(0, total, toScore.length === 0 ? 'every estimate is already known' : undefined);
    for (const p of toScore) {
      ctx.signal.throwIfAborted();
      const c = p.comparison!;
      const before = done;
      ctx.progress(done, total, `${p.version.name}: sampling`);
      const kl = await klOf(
        p.version.id,
        p.prompts,
        { n: FRONTIER_KL_SAMPLES, maxNewTokens: c.maxNewTokens, seed: c.seed },
        {
          signal: ctx.signal,
          onSampled: (prompts) =>
            ctx.progress(
              before + prompts,
              total,
              prompts < p.prompts.length ? `${p.version.name}: sampling` : `${p.version.name}: scoring`,
            ),
        },
      );
      ctx.signal.throwIfAborted(); // a cancelled generation returns cut samples: no estimate from those
      cache.set(`${p.version.id}:${c.id}`, kl);
      done = before + p.prompts.length + 1;
      ctx.progress(done, total, `${p.version.name}: scored`);
    }
    const points: FrontierPoint[] = [
      {
        modelId: base.id,
        name: base.name,
        depth: 0,
        comparisonId: null,
        winRate: { rate: 0.5, low: 0.5, high: 0.5, n: 0 },
        kl: { kl: 0, stderr: 0, n: 0 },
      },
    ];
    for (const p of planned) {
      const c = p.comparison;
      const kl = c ? cache.get(`${p.version.id}:${c.id}`) : undefined;
      points.push({
        modelId: p.version.id,
        name: p.version.name,
        depth: p.depth,
        comparisonId: c ? c.id : null,
        winRate: c ? { rate: c.result.rate, low: c.result.low, high: c.result.high, n: c.result.n } : null,
        kl: kl ?? null,
      });
    }
    return { baseModelId: base.id, points };
  }

  /** Starts the job that samples and scores what is not known yet; the lineage is checked first. */
  function start(modelId: number): { jobId: number } {
    models.lineage(modelId); // names an unknown model before anything starts
    const jobId = jobs.start(FRONTIER_JOB_KIND, { modelId }, (ctx) => compute(modelId, ctx));
    return { jobId };
  }

  /**
   * The latest frontier job of this model (running or finished) and the frontier of its latest completed
   * one, kept when a later job was cancelled or failed; nulls when there is none.
   */
  function latest(modelId: number): { job: Job | null; frontier: Frontier | null } {
    models.lineage(modelId); // names an unknown model before anything starts
    const [newest, ...older] = frontierJobs.all(FRONTIER_JOB_KIND, modelId).map((row) => jobs.get(row.id));
    let frontier: Frontier | null = null;
    for (const job of [newest, ...older]) {
      if (job?.status !== 'completed') continue;
      const parsed = FrontierSchema.safeParse(job.result);
      if (parsed.success) frontier = parsed.data;
      break;
    }
    return { job: newest ?? null, frontier };
  }

  return { start, latest };
}

export type FrontierService = ReturnType<typeof createFrontier>;
