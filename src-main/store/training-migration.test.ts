// migrations/0003_training.sql: the reference log-prob cache (one row per model and scored sequence, looked
// up through its primary key) and the runs' new columns, with the run lifecycle of RunsRepo over them.
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REFERENCE_LOGP_SQL, ReferenceLogpsRepo } from './reference-logps-repo';
import { RunsRepo } from './runs-repo';
import { openTempDatabase, type TempDatabase } from './test-support';

let temp: TempDatabase;
let db: Database.Database;
beforeEach(() => {
  temp = openTempDatabase();
  db = temp.db;
});
afterEach(() => temp.dispose());

const hash = (c: string): string => c.repeat(64);

describe('0003_training', () => {
  it('caches reference log-probs per (model, tokens): found, missing, replaced, never non-finite', () => {
    const repo = new ReferenceLogpsRepo(db);
    repo.put(
      hash('a'),
      new Map([
        [hash('1'), { logp: -3.25, tokens: 4 }],
        [hash('2'), { logp: Number.NaN, tokens: 2 }],
      ]),
    );
    const found = repo.get(hash('a'), [hash('1'), hash('2'), hash('3')]);
    expect([...found]).toEqual([[hash('1'), { logp: -3.25, tokens: 4 }]]);
    expect(repo.get(hash('b'), [hash('1')]).size).toBe(0); // another model
    repo.put(hash('a'), new Map([[hash('1'), { logp: -1.5, tokens: 4 }]]));
    expect(repo.get(hash('a'), [hash('1')]).get(hash('1'))?.logp).toBe(-1.5);
    expect(repo.count()).toBe(1);
    expect(() =>
      db
        .prepare(
          "INSERT INTO reference_logps (model_hash, tokens_hash, logp, token_count) VALUES ('x', ?, 0, 1)",
        )
        .run(hash('9')),
    ).toThrow(/CHECK constraint/);
  });

  it('looks a sequence up through the primary key', () => {
    const details = db
      .prepare<[string, string], { detail: string }>(`EXPLAIN QUERY PLAN ${REFERENCE_LOGP_SQL}`)
      .all(hash('a'), hash('1'))
      .map((row) => row.detail);
    expect(details.join('\n')).toMatch(
      /SEARCH reference_logps USING PRIMARY KEY \(model_hash=\? AND tokens_hash=\?\)/,
    );
  });

  it('keeps a run settings snapshot and device note; a crash leaves running runs interrupted', () => {
    db.prepare("INSERT INTO models (name, kind, path) VALUES ('base', 'embedded', '/m')").run();
    const runs = new RunsRepo(db);
    const id = runs.create({ baseModelId: 1, settingsJson: '{"beta":0.1}' });
    const done = runs.create({ baseModelId: 1 });
    runs.markRunning(id, {
      device: 'cpu',
      deviceNote: 'CPU (no CUDA: provider missing)',
      totalSteps: 10,
      checkpointDir: '/runs/1/checkpoint',
      configJson: '{"beta":0.1,"gradAccum":2}',
    });
    runs.setStep(id, 4);
    runs.finish(done, 'completed');
    expect(runs.markInterrupted()).toEqual([id]);
    const run = runs.get(id);
    expect(run).toMatchObject({
      status: 'interrupted',
      step: 4,
      totalSteps: 10,
      settingsJson: '{"beta":0.1}',
      deviceNote: 'CPU (no CUDA: provider missing)',
      checkpointDir: '/runs/1/checkpoint',
    });
    expect(runs.get(done)?.status).toBe('completed');
    expect(runs.list().map((r) => r.id)).toEqual([done, id]);
  });
});
