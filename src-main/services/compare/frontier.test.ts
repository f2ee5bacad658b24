// The reward-vs-KL frontier of a lineage: base at (KL 0, win rate 0.5), each version at its latest revealed
// comparison against the base and its KL(version || base) on samples of it, scored for real on the llama
// fixture (base + a random adapter: the estimate is positive), and a version without a comparison unplaced.
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

describe('getFrontier', () => {
  it('places the base at 0 and a compared version at its win rate and its positive KL from the base', async () => {
    const events = new EventBus();
    const jobs = new JobRunner(opened.db, events);
    const models = new ModelsRepo(opened.db);
    const compare = createCompareService({
      db: opened.db,
      events,
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
    const shown = compare.get(summary.id);
    for (const item of shown.itemList)
      compare.vote({
        comparisonId: summary.id,
        position: item.position,
        vote: item.position % 2 ? 'left' : 'tie',
      });
    const revealed = compare.reveal(summary.id);

    const frontier = await createFrontier(opened.db, models).get(made.tunedId);
    expect(frontier.baseModelId).toBe(made.baseId);
    expect(frontier.points.map((p) => [p.modelId, p.depth])).toEqual([
      [made.baseId, 0],
      [made.tunedId, 1],
    ]);
    expect(frontier.points[0]?.kl?.kl).toBe(0);
    const tuned = frontier.points[1]!;
    expect(tuned.comparisonId).toBe(summary.id);
    expect(tuned.winRate).toEqual({
      rate: revealed.result!.rate,
      low: revealed.result!.low,
      high: revealed.result!.high,
      n: revealed.result!.n,
    });
    expect(tuned.kl?.n).toBe(4); // 2 prompts x 2 samples
    expect(tuned.kl?.kl).toBeGreaterThan(0);
  });

  it('leaves a version without a revealed comparison unplaced, and names an unknown model', async () => {
    const models = new ModelsRepo(opened.db);
    let scored = 0;
    const frontier = await createFrontier(opened.db, models, () => {
      scored += 1;
      return Promise.resolve({ kl: 1, stderr: 0, n: 1 });
    }).get(made.tunedId);
    expect(frontier.points[1]).toMatchObject({ comparisonId: null, winRate: null, kl: null });
    expect(scored).toBe(0);
    await expect(createFrontier(opened.db, models).get(999)).rejects.toThrow(/no model with id 999/);
  });
});
