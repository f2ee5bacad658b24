// EXPLAIN QUERY PLAN for the hot queries, on a database with data and statistics (ANALYZE), as the
// planner would see a real one: each must search an index, never scan comparisons or run_metrics.
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEXT_UNRATED_SQL, PROGRESS_SQL, RECENT_SQL } from './comparisons-repo';
import { METRICS_OF_SQL, RunsRepo } from './runs-repo';
import { insertPair, openTempDatabase } from './test-support';
import type { TempDatabase } from './test-support';

let temp: TempDatabase;
let db: Database.Database;

beforeAll(() => {
  temp = openTempDatabase();
  db = temp.db;
  seed(db);
});
afterAll(() => temp.dispose());

/** 300 pairs, two annotators with 200 ratings (some undone), one run with 3 metrics x 100 steps per split. */
function seed(database: Database.Database): void {
  const annotators = [1, 2].map((n) =>
    Number(database.prepare('INSERT INTO annotators (name) VALUES (?)').run(`a${n}`).lastInsertRowid),
  );
  const rate = database.prepare(
    "INSERT INTO comparisons (pair_id, annotator_id, choice, left_candidate_id, undone_at) VALUES (?, ?, 'a', ?, ?)",
  );
  database.transaction(() => {
    for (let i = 0; i < 300; i += 1) {
      const pair = insertPair(database, `prompt ${i}`);
      for (const annotator of annotators) {
        if (i < 200) rate.run(pair.pairId, annotator, pair.candidateAId, i % 10 === 0 ? '2025-01-01' : null);
      }
    }
    database.prepare("INSERT INTO models (name, kind, path) VALUES ('base', 'embedded', '/m')").run();
    const runs = new RunsRepo(database);
    const runId = runs.create({ baseModelId: 1 });
    for (let step = 0; step < 100; step += 1) {
      for (const split of ['train', 'eval'] as const) {
        runs.insertMetrics(runId, step, split, {
          loss: 1 / (step + 1),
          'rewards/margins': step,
          grad_norm: 1,
        });
      }
    }
  })();
  database.exec('ANALYZE');
}

function plan(sql: string, ...params: unknown[]): string[] {
  return db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((row) => row.detail);
}

describe('query plans', () => {
  it('next pair to rate walks the queue index from the cursor, probing the live-rating index per pair', () => {
    const details = plan(NEXT_UNRATED_SQL, { annotatorId: 1 });
    expect(details).toContainEqual(
      expect.stringMatching(/^SEARCH p USING (COVERING )?INDEX pairs_queue \(queue_key>\?\)$/),
    );
    expect(details).toContain('SEARCH c USING INDEX comparisons_live_rating (annotator_id=? AND pair_id=?)');
    expect(details).toContain('SEARCH rating_counts USING INTEGER PRIMARY KEY (rowid=?)');
    expect(details.filter((detail) => /SCAN|TEMP B-TREE/.test(detail))).toEqual([]);
  });

  it('rating progress reads the counters by primary key, never comparisons or pairs', () => {
    const details = plan(PROGRESS_SQL, { annotatorId: 1 });
    expect(details.filter((detail) => /comparisons|pairs\b/.test(detail))).toEqual([]);
    expect(details.filter((detail) => /SCAN (?!CONSTANT ROW)/.test(detail))).toEqual([]);
    expect(details.filter((detail) => detail.startsWith('SEARCH'))).toHaveLength(3);
  });

  it("an annotator's recent ratings come from an annotator index, newest first without a sort", () => {
    const details = plan(RECENT_SQL, 1, 50);
    expect(details.some((detail) => /^SEARCH c USING (COVERING )?INDEX comparisons_/.test(detail))).toBe(
      true,
    );
    expect(details.filter((detail) => /SCAN|TEMP B-TREE/.test(detail))).toEqual([]);
  });

  it('metrics of a run search the primary key and need no sort', () => {
    const details = plan(METRICS_OF_SQL, 1, 'train');
    expect(details).toEqual(['SEARCH run_metrics USING PRIMARY KEY (run_id=? AND split=?)']);
  });

  it('candidates of a prompt search an index on prompt_id', () => {
    const details = plan('SELECT id, text FROM candidates WHERE prompt_id = ?', 1);
    expect(details).toHaveLength(1);
    expect(details[0]).toMatch(
      /^SEARCH candidates USING INDEX sqlite_autoindex_candidates_\d \(prompt_id=\?\)$/,
    );
  });
});
