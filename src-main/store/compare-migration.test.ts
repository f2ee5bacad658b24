// migrations/0004_compare.sql: comparisons and their items through CompareRepo, the checks that keep a
// reveal consistent, the trigger that freezes votes once revealed, and the plans of the hot lookups.
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompareRepo, type NewCompareItem } from './compare-repo';
import { openTempDatabase, type TempDatabase } from './test-support';

let temp: TempDatabase;
let db: Database.Database;
let repo: CompareRepo;

beforeEach(() => {
  temp = openTempDatabase();
  db = temp.db;
  repo = new CompareRepo(db);
  db.prepare(
    "INSERT INTO models (name, kind, path) VALUES ('base', 'embedded', '/m'), ('other', 'imported', '/o')",
  ).run();
});
afterEach(() => temp.dispose());

const item = (text: string, aOnLeft: boolean): NewCompareItem => ({
  promptId: null,
  promptText: text,
  promptMessagesJson: null,
  candidateIndex: 0,
  aOnLeft,
});

function session(items = [item('Q1', true), item('Q2', false)]): number {
  return repo.create(
    {
      modelAId: 1,
      modelBId: 2,
      promptSource: 'texts',
      runId: null,
      seed: 3,
      settingsJson: '{"n":1}',
      blind: true,
    },
    items,
  );
}

describe('0004_compare', () => {
  it('stores a session with its items, outputs per side and votes as cast', () => {
    const id = session();
    repo.setOutputs(id, 'a', [
      { position: 0, text: 'a0', tokens: 2 },
      { position: 1, text: 'a1', tokens: 3 },
    ]);
    expect(repo.items(id).map((i) => [i.outputA, i.outputB])).toEqual([
      ['a0', null],
      ['a1', null],
    ]);
    expect(repo.vote(id, 1, 'both_bad')).toBe(true);
    expect(repo.vote(id, 2, 'left')).toBe(false);
    expect(repo.get(id)).toMatchObject({ status: 'generating', blind: true, items: 2, voted: 1 });
    expect(() =>
      db.prepare("UPDATE compare_items SET vote = 'a', voted_at = 'now' WHERE position = 0").run(),
    ).toThrow(/CHECK constraint/);
  });

  it('refuses a revealed status without its result, and any vote change after the reveal', () => {
    const id = session();
    expect(() => db.prepare("UPDATE compare_sessions SET status = 'revealed' WHERE id = ?").run(id)).toThrow(
      /CHECK constraint/,
    );
    repo.vote(id, 0, 'left');
    repo.reveal(id, '{"wins":1}');
    expect(repo.get(id)).toMatchObject({ status: 'revealed', resultJson: '{"wins":1}' });
    expect(repo.get(id)?.revealedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(() => repo.vote(id, 1, 'right')).toThrow('comparison is revealed: its votes can no longer change');
    expect(repo.items(id).map((i) => i.vote)).toEqual(['left', null]);
  });

  it('marks sessions cut off while generating as interrupted, leaving the others', () => {
    const cut = session();
    const done = session();
    repo.setStatus(done, 'voting');
    expect(repo.markInterruptedAtStartup()).toBe(1);
    expect([repo.get(cut)?.status, repo.get(done)?.status]).toEqual(['interrupted', 'voting']);
  });

  it('finds the items of a session and the margins of a run through their primary keys', () => {
    const plan = (sql: string, ...params: unknown[]) =>
      db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((r) => r.detail)
        .join('\n');
    expect(plan('SELECT * FROM compare_items WHERE session_id = ? ORDER BY position', 1)).toMatch(
      /SEARCH compare_items USING PRIMARY KEY \(session_id=\?\)/,
    );
    expect(plan('SELECT * FROM reward_margins WHERE run_id = ? ORDER BY pair_id', 1)).toMatch(
      /SEARCH reward_margins USING PRIMARY KEY \(run_id=\?\)/,
    );
  });
});
