// migrations/0002_labeling.sql: default reason tags, dataset stats, frozen datasets refused by the database
// itself, and the quality-check lookup searching indexes rather than scanning comparisons.
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATASET_ROWS_SQL, DatasetsRepo } from './datasets-repo';
import { PAIR_OF_SQL } from './pairs-repo';
import { QUALITY_CHECK_CANDIDATE_SQL, RatingStatsRepo } from './rating-stats-repo';
import { RunsRepo } from './runs-repo';
import { SettingsRepo } from './settings-repo';
import { insertPair, openTempDatabase, type TempDatabase } from './test-support';

let temp: TempDatabase;
let db: Database.Database;
beforeEach(() => {
  temp = openTempDatabase();
  db = temp.db;
});
afterEach(() => temp.dispose());

function datasetWithOnePair(): {
  datasetId: number;
  pairId: number;
  candidateAId: number;
  candidateBId: number;
} {
  const pair = insertPair(db, 'p');
  const repo = new DatasetsRepo(db);
  const datasetId = repo.create({
    name: 'd',
    description: null,
    filtersJson: '{}',
    evalFraction: 0,
    splitSeed: 0,
  });
  repo.replace(
    datasetId,
    { description: null, filtersJson: '{}', evalFraction: 0, splitSeed: 0 },
    [
      {
        pairId: pair.pairId,
        comparisonId: null,
        chosenCandidateId: pair.candidateAId,
        rejectedCandidateId: pair.candidateBId,
        weight: 1,
        split: 'train',
      },
    ],
    '{}',
  );
  return { datasetId, ...pair };
}

describe('0002_labeling', () => {
  it('ships five reason tags, each with its own key, and stores settings as JSON', () => {
    const settings = new SettingsRepo(db);
    const tags = settings.get('rating_tags') as Array<{ name: string; key: string }>;
    expect(tags.map((tag) => tag.key)).toEqual(['f', 'h', 'y', 'g', 'v']);
    settings.set('rating_tags', [{ name: 'x', key: 'k' }]);
    expect(settings.get('rating_tags')).toEqual([{ name: 'x', key: 'k' }]);
    expect(settings.get('missing')).toBeUndefined();
    expect(() => db.prepare("INSERT INTO settings (key, value_json) VALUES ('bad', '{')").run()).toThrow(
      'CHECK constraint failed',
    );
  });

  it('freezes a dataset once a run uses it; then its row and pairs can be neither changed nor deleted', () => {
    const { datasetId, pairId } = datasetWithOnePair();
    const repo = new DatasetsRepo(db);
    expect(repo.get(datasetId)?.frozenAt).toBeNull();
    db.prepare("INSERT INTO models (name, kind, path) VALUES ('base', 'embedded', '/m')").run();
    new RunsRepo(db).create({ baseModelId: 1, datasetId });
    expect(repo.get(datasetId)?.frozenAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const frozen = 'dataset is frozen: it was used by a training run';
    expect(() => repo.delete(datasetId)).toThrow(frozen);
    expect(() => repo.setStats(datasetId, '{}')).toThrow(frozen);
    expect(() => db.prepare('DELETE FROM dataset_pairs WHERE pair_id = ?').run(pairId)).toThrow(frozen);
    expect(() => db.prepare('UPDATE dataset_pairs SET weight = 0.5').run()).toThrow(frozen);
    expect(repo.rows(datasetId, null)).toHaveLength(1);
  });

  it('re-shows the oldest rated pair not yet checked, and counts checks that match the live rating', () => {
    const annotatorId = Number(
      db.prepare("INSERT INTO annotators (name) VALUES ('ana')").run().lastInsertRowid,
    );
    const first = insertPair(db, 'first');
    const second = insertPair(db, 'second');
    const third = insertPair(db, 'third');
    const rate = db.prepare(
      'INSERT INTO comparisons (pair_id, annotator_id, choice, left_candidate_id, is_quality_check) VALUES (?, ?, ?, ?, ?)',
    );
    rate.run(first.pairId, annotatorId, 'a', first.candidateAId, 0);
    rate.run(second.pairId, annotatorId, 'b', second.candidateAId, 0);
    const stats = new RatingStatsRepo(db);
    // A check never comes within two screens of its original.
    expect(stats.qualityCheckCandidate(annotatorId)).toBeUndefined();
    rate.run(third.pairId, annotatorId, 'b', third.candidateAId, 0);
    expect(stats.qualityCheckCandidate(annotatorId)).toEqual({
      pairId: first.pairId,
      leftCandidateId: first.candidateAId,
    });
    rate.run(first.pairId, annotatorId, 'a', first.candidateBId, 1);
    expect(stats.qualityCheckCandidate(annotatorId)?.pairId).toBe(second.pairId);
    rate.run(second.pairId, annotatorId, 'a', second.candidateBId, 1);
    expect(stats.consistency(annotatorId)).toEqual({ checks: 2, consistent: 1 });
    expect(stats.qualityCheckCandidate(annotatorId)?.pairId).toBe(third.pairId);
    rate.run(third.pairId, annotatorId, 'b', third.candidateBId, 1);
    expect(stats.qualityCheckCandidate(annotatorId)).toBeUndefined();
  });

  it('finds the quality-check pair through an annotator index and the quality-check index, without a sort', () => {
    const annotatorId = Number(
      db.prepare("INSERT INTO annotators (name) VALUES ('ana')").run().lastInsertRowid,
    );
    const rate = db.prepare(
      'INSERT INTO comparisons (pair_id, annotator_id, choice, left_candidate_id, is_quality_check) VALUES (?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (let i = 0; i < 200; i += 1) {
        const pair = insertPair(db, `prompt ${i}`);
        rate.run(pair.pairId, annotatorId, 'a', pair.candidateAId, 0);
        if (i % 3 === 0) rate.run(pair.pairId, annotatorId, 'b', pair.candidateBId, 1);
      }
    })();
    db.exec('ANALYZE');
    const details = db
      .prepare<[{ annotatorId: number }], { detail: string }>(
        `EXPLAIN QUERY PLAN ${QUALITY_CHECK_CANDIDATE_SQL}`,
      )
      .all({ annotatorId: 1 })
      .map((row) => row.detail);
    // c: the annotator's ratings in id order (no sort); q: one probe of the quality-check index per rating.
    expect(
      details.some((detail) =>
        /^SEARCH c USING (COVERING )?INDEX comparisons_\w+ \(annotator_id=\?/.test(detail),
      ),
    ).toBe(true);
    expect(details).toContain(
      'SEARCH q USING INDEX comparisons_quality_checks (annotator_id=? AND pair_id=?)',
    );
    expect(details.filter((detail) => /TEMP B-TREE/.test(detail))).toEqual([]);
    expect(details.filter((detail) => /SCAN (c|q|comparisons)\b/.test(detail))).toEqual([]);
  });

  it("serves a dataset's rows from its primary key and a pair by its two candidates from pairs_unordered", () => {
    // 300 pairs, 100 of them in the dataset, with statistics, as the planner would see a real database.
    const repo = new DatasetsRepo(db);
    const settings = { description: null, filtersJson: '{}', evalFraction: 0, splitSeed: 0 };
    const datasetId = repo.create({ name: 'd', ...settings });
    const rows = Array.from({ length: 300 }, (_, i) => {
      const pair = insertPair(db, `p${i}`);
      const { pairId, candidateAId, candidateBId } = pair;
      return {
        pairId,
        comparisonId: null,
        chosenCandidateId: candidateAId,
        rejectedCandidateId: candidateBId,
        weight: 1,
        split: 'train' as const,
      };
    });
    repo.replace(datasetId, settings, rows.slice(0, 100), '{}');
    db.exec('ANALYZE');
    const plan = (sql: string, ...params: unknown[]) =>
      db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((row) => row.detail);
    const details = plan(DATASET_ROWS_SQL, datasetId, null, null, -1, 0);
    expect(details[0]).toBe('SEARCH dp USING PRIMARY KEY (dataset_id=?)');
    expect(details.filter((detail) => /SCAN|TEMP B-TREE/.test(detail))).toEqual([]);
    expect(plan(PAIR_OF_SQL, 1, 2)).toEqual([
      'SEARCH pairs USING INDEX pairs_unordered (<expr>=? AND <expr>=?)',
    ]);
  });
});
