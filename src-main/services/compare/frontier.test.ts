// The reward-vs-KL frontier of a lineage as a job: base at (KL 0, win rate 0.5), each version at its latest
// revealed comparison against the base and its KL(version || base) on samples of it, scored for real on the
// llama fixture (base + a random adapter: the estimate is positive), with progress, cancel, the result kept
// in the jobs table and reused by the next job; a version without a comparison unplaced.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../jobs/event-bus';
import { JobRunner } from '../jobs/job-runner';
import { runGeneration } from '../generate/generate-job';
import { ModelsRepo } from '../../store/models-repo';
import { openDatabase } from '../../store/open-database';
import { makeTempDir, removeDir } from '../../store/test-support';
import { createCompareService } from './compare-service';
import { registerCompareModels, type CompareModels } from './compare-test-support';
import { createFrontier } from './frontier';

let dir: string;
let opened: ReturnType<typeof openDatabase>;
let made: CompareModels;

beforeEach(async () => {
  dir = makeTempDir('dpo-frontier-');
  opened = openDatabase(dir);
  made = await registerCompareModels(opened.db);
});
afterEach(() => {
  opened.db.close();
  made.dispose();
  removeDir(dir);
});

/** A revealed blind comparison of the fixture's tuned version against its base. */
async function revealedComparison(jobs: JobRunner) {
  const models = new ModelsRepo(opened.db);
  const compare = createCompareService({
    db: opened.db,
    events: new EventBus(),
    models,
    jobs,
    generate: (req, hooks) => runGeneration({ ...req, device: 'cpu' }, hooks),
  });
  const summary = compare.create({
    modelAId: made.baseId,
    modelBId: made.tunedId,
    prompts: { kind: 'texts', texts: ['hello there', 'tell me more'] },
    blind: true,
    seed: 5,
    n: 2,
    maxNewTokens: 6,
    temperature: 1,
    topP: 1,
    topK: 0,
  });
  await jobs.wait(summary.jobId!);
  for (const item of compare.get(summary.id).itemList)
    compare.vote({
      comparisonId: summary.id,
      position: item.position,
      vote: item.position % 2 ? 'left' : 'tie',
    });
  return { id: summary.id, result: compare.reveal(summary.id).result! };
}

describe('the frontier job', () => {
  it('places the base at 0 and a compared version at its win rate and its positive KL from the base', async () => {
    const events = new EventBus();
    const jobs = new JobRunner(opened.db, events, { progressIntervalMs: 0 });
    const models = new ModelsRepo(opened.db);
    const comparison = await revealedComparison(jobs);
    const progress: string[] = [];
    events.subscribe((event, payload) => {
      const job = payload as {
        kind?: string;
        progress?: number;
        total?: number | null;
        message?: string | null;
      };
      if (event === 'jobsChanged' && job.kind === 'frontier')
        progress.push(`${job.progress}/${job.total} ${job.message ?? ''}`.trim());
    });
    const service = createFrontier(opened.db, models, jobs);
    const { jobId } = service.start(made.tunedId);
    const finished = await jobs.wait(jobId);
    expect(finished?.status).toBe('completed');
    // 2 prompts sampled and one scoring step for the one version.
    const name = made.tunedName;
    expect(progress).toContain(`3/3 ${name}: scored`);
    expect(progress.some((p) => p === `0/3 ${name}: sampling` || p === `1/3 ${name}: sampling`)).toBe(true);
    const { job, frontier } = service.latest(made.tunedId);
    expect(job?.id).toBe(jobId);
    if (!frontier) throw new Error('no frontier kept');
    expect(frontier.baseModelId).toBe(made.baseId);
    expect(frontier.points.map((p) => [p.modelId, p.depth])).toEqual([
      [made.baseId, 0],
      [made.tunedId, 1],
    ]);
    expect(frontier.points[0]?.kl?.kl).toBe(0);
    const tuned = frontier.points[1]!;
    expect(tuned.comparisonId).toBe(comparison.id);
    const { rate, low, high, n } = comparison.result;
    expect(tuned.winRate).toEqual({ rate, low, high, n });
    expect(tuned.kl?.n).toBe(4); // 2 prompts x 2 samples
    expect(tuned.kl?.kl).toBeGreaterThan(0);
  });

  it('keeps the estimate: a later job (another process) reuses it and samples nothing', async () => {
    const jobs = new JobRunner(opened.db, new EventBus());
    const models = new ModelsRepo(opened.db);
    await revealedComparison(jobs);
    let scored = 0;
    const fake = () => {
      scored += 1;
      return Promise.resolve({ kl: 0.25, stderr: 0.01, n: 4 });
    };
    const first = createFrontier(opened.db, models, jobs, fake).start(made.tunedId);
    await jobs.wait(first.jobId);
    const later = createFrontier(opened.db, models, jobs, fake);
    const second = later.start(made.tunedId);
    expect((await jobs.wait(second.jobId))?.message).toBe('every estimate is already known');
    expect(scored).toBe(1);
    expect(later.latest(made.tunedId).frontier?.points[1]?.kl).toEqual({ kl: 0.25, stderr: 0.01, n: 4 });
  });

  it('stops on cancel: the job is cancelled, no frontier is kept and no estimate is cached', async () => {
    const jobs = new JobRunner(opened.db, new EventBus());
    const models = new ModelsRepo(opened.db);
    await revealedComparison(jobs);
    let calls = 0;
    const slow = (_id: number, _prompts: readonly string[], _o: unknown, hooks: { signal?: AbortSignal }) => {
      calls += 1;
      return new Promise<{ kl: number; stderr: number; n: number }>((resolve, reject) => {
        hooks.signal?.addEventListener('abort', () => reject(new Error('cancelled')));
        setTimeout(() => resolve({ kl: 1, stderr: 0, n: 1 }), 10_000);
      });
    };
    const service = createFrontier(opened.db, models, jobs, slow);
    const { jobId } = service.start(made.tunedId);
    await expect.poll(() => calls).toBe(1);
    expect(jobs.cancel(jobId)).toBe(true);
    expect((await jobs.wait(jobId))?.status).toBe('cancelled');
    expect(service.latest(made.tunedId)).toMatchObject({
      job: { id: jobId, status: 'cancelled' },
      frontier: null,
    });
    const again = service.start(made.tunedId);
    await expect.poll(() => calls).toBe(2);
    jobs.cancel(again.jobId);
    await jobs.wait(again.jobId);
  });

  it('leaves a version without a revealed comparison unplaced, and names an unknown model', async () => {
    const jobs = new JobRunner(opened.db, new EventBus());
    const models = new ModelsRepo(opened.db);
    let scored = 0;
    const service = createFrontier(opened.db, models, jobs, () => {
      scored += 1;
      return Promise.resolve({ kl: 1, stderr: 0, n: 1 });
    });
    await jobs.wait(service.start(made.tunedId).jobId);
    const { frontier } = service.latest(made.tunedId);
    expect(frontier?.points[1]).toMatchObject({ comparisonId: null, winRate: null, kl: null });
    expect(scored).toBe(0);
    expect(() => service.start(999)).toThrow(/no model with id 999/);
    expect(() => service.latest(999)).toThrow(/no model with id 999/);
    expect(service.latest(made.baseId)).toEqual({ job: null, frontier: null });
  });
});
