// RunsRepo: logged metrics per run and split, in (name, step) order, with re-logged steps replaced.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunsRepo } from './runs-repo';
import { openTempDatabase } from './test-support';
import type { TempDatabase } from './test-support';

let temp: TempDatabase;
let repo: RunsRepo;
let runId: number;
beforeEach(() => {
  temp = openTempDatabase();
  temp.db.prepare("INSERT INTO models (name, kind, path) VALUES ('base', 'embedded', '/models/base')").run();
  repo = new RunsRepo(temp.db);
  runId = repo.create({ baseModelId: 1, configJson: '{"beta":0.1}' });
});
afterEach(() => temp.dispose());

describe('RunsRepo', () => {
  it('creates a queued dpo run', () => {
    const run = temp.db.prepare('SELECT kind, status, step, config_json FROM runs WHERE id = ?').get(runId);
    expect(run).toEqual({ kind: 'dpo', status: 'queued', step: 0, config_json: '{"beta":0.1}' });
  });

  it("returns a split's metrics grouped by name, each in step order", () => {
    repo.insertMetrics(runId, 2, 'train', { loss: 0.5, 'rewards/margins': 0.4 });
    repo.insertMetrics(runId, 1, 'train', { loss: 0.69, 'rewards/margins': 0 });
    repo.insertMetrics(runId, 2, 'eval', { loss: 0.6 });
    expect(repo.metricsOf(runId, 'train')).toEqual([
      { step: 1, name: 'loss', value: 0.69 },
      { step: 2, name: 'loss', value: 0.5 },
      { step: 1, name: 'rewards/margins', value: 0 },
      { step: 2, name: 'rewards/margins', value: 0.4 },
    ]);
    expect(repo.metricsOf(runId, 'eval')).toEqual([{ step: 2, name: 'loss', value: 0.6 }]);
  });

  it('replaces a step logged again after a resume, and stores NaN as null', () => {
    repo.insertMetrics(runId, 3, 'train', { loss: 0.7 });
    repo.insertMetrics(runId, 3, 'train', { loss: Number.NaN, grad_norm: Number.POSITIVE_INFINITY });
    expect(repo.metricsOf(runId, 'train')).toEqual([
      { step: 3, name: 'grad_norm', value: Number.POSITIVE_INFINITY },
      { step: 3, name: 'loss', value: null },
    ]);
  });

  it('refuses metrics of a run that does not exist', () => {
    expect(() => repo.insertMetrics(runId + 1, 0, 'train', { loss: 1 })).toThrow(
      'FOREIGN KEY constraint failed',
    );
    expect(repo.metricsOf(runId + 1, 'train')).toEqual([]);
  });
});
