// migrations/0001_init.sql: the tables, their foreign keys, CHECK constraints and the live-rating index.
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertPair, openTempDatabase } from './test-support';
import type { TempDatabase } from './test-support';

let temp: TempDatabase;
let db: Database.Database;
beforeEach(() => {
  temp = openTempDatabase();
  db = temp.db;
});
afterEach(() => temp.dispose());

const TABLES = [
  'annotators',
  'candidates',
  'comparisons',
  'dataset_pairs',
  'datasets',
  'jobs',
  'models',
  'pairs',
  'prompts',
  'run_metrics',
  'runs',
  'schema_migrations',
  'settings',
];

function addAnnotator(name = 'ana'): number {
  return Number(db.prepare('INSERT INTO annotators (name) VALUES (?)').run(name).lastInsertRowid);
}

function rate(
  pairId: number,
  annotatorId: number,
  leftCandidateId: number,
  extra: Record<string, unknown> = {},
) {
  const row = {
    choice: 'a',
    strength: null,
    tags_json: '[]',
    is_quality_check: 0,
    undone_at: null,
    ...extra,
  };
  return db
    .prepare(
      `INSERT INTO comparisons (pair_id, annotator_id, choice, strength, tags_json, left_candidate_id,
         is_quality_check, undone_at)
       VALUES (@pair_id, @annotator_id, @choice, @strength, @tags_json, @left, @is_quality_check, @undone_at)`,
    )
    .run({ ...row, pair_id: pairId, annotator_id: annotatorId, left: leftCandidateId });
}

describe('0001_init', () => {
  it('creates every table, all STRICT, run_metrics and dataset_pairs WITHOUT ROWID', () => {
    const tables = db
      .prepare<[], { name: string; strict: number; wr: number }>(
        "SELECT name, strict, wr FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all();
    // Later migrations add tables of their own (and test them); these are the ones of 0001 and 0002.
    const mine = tables.filter((table) => TABLES.includes(table.name));
    expect(mine.map((table) => table.name)).toEqual(TABLES);
    expect(tables.filter((table) => table.strict === 0)).toEqual([]);
    expect(mine.filter((table) => table.wr === 1).map((table) => table.name)).toEqual([
      'dataset_pairs',
      'run_metrics',
    ]);
  });

  it('stamps rows with ISO-8601 UTC timestamps', () => {
    addAnnotator();
    const createdAt = db.prepare('SELECT created_at FROM annotators').pluck().get();
    expect(createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('enforces foreign keys, including that both sides of a pair answer its prompt', () => {
    expect(() =>
      db
        .prepare(
          "INSERT INTO candidates (prompt_id, text, source, content_hash) VALUES (999, 'x', 'generated', 'h')",
        )
        .run(),
    ).toThrow('FOREIGN KEY constraint failed');
    const first = insertPair(db, 'first');
    const second = insertPair(db, 'second');
    const crossPrompt = db.prepare(
      "INSERT INTO pairs (prompt_id, candidate_a_id, candidate_b_id, origin) VALUES (?, ?, ?, 'random')",
    );
    expect(() => crossPrompt.run(first.promptId, first.candidateAId, second.candidateAId)).toThrow(
      'FOREIGN KEY constraint failed',
    );
  });

  it('rejects an unknown choice, a strength outside 1..3 and a strength on a tie', () => {
    const { pairId, candidateAId } = insertPair(db, 'p');
    const ana = addAnnotator();
    expect(() => rate(pairId, ana, candidateAId, { choice: 'maybe' })).toThrow('CHECK constraint failed');
    expect(() => rate(pairId, ana, candidateAId, { strength: 0 })).toThrow('CHECK constraint failed');
    expect(() => rate(pairId, ana, candidateAId, { strength: 4 })).toThrow('CHECK constraint failed');
    expect(() => rate(pairId, ana, candidateAId, { choice: 'tie', strength: 2 })).toThrow(
      'CHECK constraint failed',
    );
    expect(() => rate(pairId, ana, candidateAId, { tags_json: '{"not":"a list"}' })).toThrow(
      'CHECK constraint failed',
    );
    expect(db.prepare('SELECT COUNT(*) FROM comparisons').pluck().get()).toBe(0);
    expect(rate(pairId, ana, candidateAId, { choice: 'b', strength: 3 }).changes).toBe(1);
  });

  it('rejects a pair of a candidate with itself, a bad origin and a bad model kind', () => {
    const { promptId, candidateAId, candidateBId } = insertPair(db, 'p');
    const pair = db.prepare(
      'INSERT INTO pairs (prompt_id, candidate_a_id, candidate_b_id, origin) VALUES (?, ?, ?, ?)',
    );
    expect(() => pair.run(promptId, candidateAId, candidateAId, 'random')).toThrow('CHECK constraint failed');
    expect(() => pair.run(promptId, candidateBId, candidateAId, 'vibes')).toThrow('CHECK constraint failed');
    const model = db.prepare("INSERT INTO models (name, kind, path) VALUES ('m', ?, '/models/m')");
    expect(() => model.run('downloaded')).toThrow('CHECK constraint failed');
    expect(model.run('trained').changes).toBe(1);
  });

  it('allows one live rating per annotator and pair, besides undone ones and quality checks', () => {
    const { pairId, candidateAId, candidateBId } = insertPair(db, 'p');
    const ana = addAnnotator('ana');
    const bo = addAnnotator('bo');
    rate(pairId, ana, candidateAId);
    expect(() => rate(pairId, ana, candidateBId, { choice: 'b' })).toThrow('UNIQUE constraint failed');
    rate(pairId, ana, candidateBId, { is_quality_check: 1 });
    rate(pairId, bo, candidateAId);
    db.prepare(
      "UPDATE comparisons SET undone_at = 'now' WHERE annotator_id = ? AND is_quality_check = 0",
    ).run(ana);
    rate(pairId, ana, candidateBId, { choice: 'tie' });
    expect(db.prepare('SELECT COUNT(*) FROM comparisons').pluck().get()).toBe(4);
  });

  it("rejects a left candidate that is not one of the pair's sides", () => {
    const { pairId } = insertPair(db, 'p');
    const other = insertPair(db, 'other');
    expect(() => rate(pairId, addAnnotator(), other.candidateAId)).toThrow(
      "comparisons.left_candidate_id must be one of the pair's candidates",
    );
  });

  it('stores a prompt and a response to one prompt once, and annotator names regardless of case', () => {
    insertPair(db, 'p');
    expect(() => insertPair(db, 'p')).toThrow('UNIQUE constraint failed: prompts.content_hash');
    addAnnotator('Ana');
    expect(() => addAnnotator('ANA')).toThrow('UNIQUE constraint failed: annotators.name');
  });
});
