// migrations/0005_rating_queue.sql: the queue interleaves prompts, the counters the triggers keep equal a
// recount after every kind of write, the cursor moves back for an undo or a new pair below it, and a
// database with ratings from before the migration gets its counters and queue keys filled in.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnnotatorsRepo } from './annotators-repo';
import { ComparisonsRepo } from './comparisons-repo';
import { findMigrationsDir, loadMigrations, migrate } from './migrate';
import { PairsRepo } from './pairs-repo';
import { insertPair, makeTempDir, openTempDatabase, removeDir, type TempDatabase } from './test-support';

let temp: TempDatabase | undefined;
afterEach(() => temp?.dispose());

function open() {
  temp = openTempDatabase();
  return temp.db;
}

/** The counters as a recount from comparisons and pairs would give them. */
function recount(db: Database.Database, annotatorId: number) {
  const live = `annotator_id = ? AND undone_at IS NULL AND is_quality_check = 0`;
  const count = (sql: string) => db.prepare<[number], number>(sql).pluck().get(annotatorId) ?? 0;
  const rated = count(`SELECT COUNT(*) FROM comparisons WHERE ${live} AND choice <> 'skip'`);
  const skipped = count(`SELECT COUNT(*) FROM comparisons WHERE ${live} AND choice = 'skip'`);
  const total = db.prepare<[], number>('SELECT COUNT(*) FROM pairs').pluck().get() ?? 0;
  return { rated, skipped, total, remaining: total - rated - skipped };
}

/** Three candidates per prompt, all three pairs of each, prompts one after the other (as Generate sends). */
function pairsOfPrompts(db: Database.Database, prompts: number): number[][] {
  const pairs = new PairsRepo(db);
  const byPrompt: number[][] = [];
  for (let p = 0; p < prompts; p++) {
    const first = insertPair(db, `prompt ${p}`);
    const third = db
      .prepare<[number, string, string], number>(
        "INSERT INTO candidates (prompt_id, text, source, content_hash) VALUES (?, ?, 'generated', ?) RETURNING id",
      )
      .pluck()
      .get(first.promptId, `prompt ${p} / C`, `prompt ${p}:c`) as number;
    byPrompt.push([
      first.pairId,
      pairs.addPair(first.promptId, first.candidateAId, third, 'all_pairs').pairId,
      pairs.addPair(first.promptId, first.candidateBId, third, 'all_pairs').pairId,
    ]);
  }
  return byPrompt;
}

describe('0005_rating_queue', () => {
  it('interleaves prompts in the queue: one pair of each prompt before the second of any', () => {
    const db = open();
    const byPrompt = pairsOfPrompts(db, 3);
    const comparisons = new ComparisonsRepo(db);
    const pairs = new PairsRepo(db);
    const annotator = new AnnotatorsRepo(db).getOrCreateDefault().id;
    const order: number[] = [];
    for (let next = comparisons.nextUnrated(annotator); next; next = comparisons.nextUnrated(annotator)) {
      order.push(next.pairId);
      const pair = pairs.getPair(next.pairId);
      comparisons.insert({
        pairId: next.pairId,
        annotatorId: annotator,
        choice: 'a',
        strength: null,
        note: null,
        timeSpentMs: 1,
        leftCandidateId: pair?.candidateA.id as number,
      });
    }
    const [p0, p1, p2] = byPrompt as [number[], number[], number[]];
    expect(order).toEqual([p0[0], p1[0], p2[0], p0[1], p1[1], p2[1], p0[2], p1[2], p2[2]]);
  });

  it('keeps the counters equal to a recount through ratings, skips, checks, undos and new pairs', () => {
    const db = open();
    pairsOfPrompts(db, 4);
    const comparisons = new ComparisonsRepo(db);
    const pairs = new PairsRepo(db);
    const annotators = new AnnotatorsRepo(db);
    const [ana, bo] = [annotators.create('ana').id, annotators.create('bo').id];
    const rate = (annotatorId: number, choice: 'a' | 'skip' | 'tie', isQualityCheck = false) => {
      const next = comparisons.nextUnrated(annotatorId);
      if (!next) throw new Error('queue empty');
      const pair = pairs.getPair(next.pairId);
      comparisons.insert({
        pairId: next.pairId,
        annotatorId,
        choice,
        strength: null,
        note: null,
        timeSpentMs: 1,
        leftCandidateId: pair?.candidateA.id as number,
        isQualityCheck,
      });
      return next.pairId;
    };
    rate(ana, 'a');
    rate(ana, 'skip');
    rate(ana, 'tie');
    rate(bo, 'skip');
    expect(comparisons.progress(ana)).toEqual({ ...recount(db, ana), rated: 2, skipped: 1 });
    expect(comparisons.progress(bo)).toEqual({ ...recount(db, bo), rated: 0, skipped: 1 });
    const undone = comparisons.undoLast(ana);
    expect(comparisons.progress(ana)).toEqual({ ...recount(db, ana), rated: 1, skipped: 1 });
    // The undone pair is next again although the cursor had passed it.
    expect(comparisons.nextUnrated(ana)?.pairId).toBe(undone?.pairId);
    insertPair(db, 'a new prompt');
    expect(comparisons.progress(ana)).toEqual(recount(db, ana));
    expect(comparisons.progress(ana).total).toBe(13);
    db.prepare("UPDATE comparisons SET choice = 'skip' WHERE annotator_id = ? AND choice = 'a'").run(ana);
    expect(comparisons.progress(ana)).toEqual({ ...recount(db, ana), rated: 0, skipped: 2 });
  });

  it('brings back a new pair whose place is below the cursor', () => {
    const db = open();
    const annotator = new AnnotatorsRepo(db).getOrCreateDefault().id;
    const comparisons = new ComparisonsRepo(db);
    const first = insertPair(db, 'only prompt');
    comparisons.insert({
      pairId: first.pairId,
      annotatorId: annotator,
      choice: 'a',
      strength: null,
      note: null,
      timeSpentMs: 1,
      leftCandidateId: first.candidateAId,
    });
    expect(comparisons.nextUnrated(annotator)).toBeUndefined();
    const second = insertPair(db, 'second prompt');
    expect(comparisons.nextUnrated(annotator)?.pairId).toBe(second.pairId);
  });

  it('fills in queue keys and counters for a database rated before the migration', () => {
    const dir = makeTempDir();
    try {
      const dbPath = path.join(dir, 'workbench.db');
      const db = new Database(dbPath);
      const all = loadMigrations(findMigrationsDir());
      migrate(db, all.slice(0, 4), { dbPath });
      db.prepare("INSERT INTO annotators (name) VALUES ('old')").run();
      const a = insertPair(db, 'p1');
      const b = insertPair(db, 'p2');
      const rate = db.prepare(
        'INSERT INTO comparisons (pair_id, annotator_id, choice, left_candidate_id) VALUES (?, 1, ?, ?)',
      );
      rate.run(a.pairId, 'a', a.candidateAId);
      rate.run(b.pairId, 'skip', b.candidateAId);
      migrate(db, all, { dbPath });
      const comparisons = new ComparisonsRepo(db);
      expect(comparisons.progress(1)).toEqual({ rated: 1, skipped: 1, total: 2, remaining: 0 });
      const keys = db.prepare<[], number>('SELECT queue_key FROM pairs ORDER BY id').pluck().all();
      expect(keys).toEqual([a.promptId, b.promptId]);
      db.close();
    } finally {
      removeDir(dir);
    }
  });
});
