// ComparisonsRepo: next pair to rate, storing a rating, undo, progress and the recent-ratings list.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnnotatorsRepo } from './annotators-repo';
import { ComparisonsRepo } from './comparisons-repo';
import type { NewComparison } from './comparisons-repo';
import { ConflictError, NotFoundError } from './errors';
import { PairsRepo } from './pairs-repo';
import { openTempDatabase } from './test-support';
import type { TempDatabase } from './test-support';

let temp: TempDatabase;
let repo: ComparisonsRepo;
let pairs: PairsRepo;
let ana: number;
let bo: number;

beforeEach(() => {
  temp = openTempDatabase();
  repo = new ComparisonsRepo(temp.db);
  pairs = new PairsRepo(temp.db);
  const annotators = new AnnotatorsRepo(temp.db);
  ana = annotators.create('ana').id;
  bo = annotators.create('bo').id;
  pairs.importPreferencePairs(
    [1, 2, 3].map((n) => ({ prompt: `prompt ${n}`, chosen: 'yes', rejected: 'no' })),
  );
});
afterEach(() => temp.dispose());

/** Rates a pair with the chosen (a) side shown on the left. */
function rate(pairId: number, annotatorId: number, extra: Partial<NewComparison> = {}): number {
  const pair = pairs.getPair(pairId);
  if (pair === undefined) throw new Error(`no pair ${pairId}`);
  return repo.insert({
    pairId,
    annotatorId,
    choice: 'a',
    strength: 2,
    note: null,
    timeSpentMs: 1500,
    leftCandidateId: pair.candidateA.id,
    ...extra,
  });
}

describe('ComparisonsRepo', () => {
  it('offers the lowest unrated pair, per annotator, until none is left', () => {
    expect(repo.nextUnrated(ana)).toEqual({ pairId: 1 });
    rate(1, ana);
    expect(repo.nextUnrated(ana)).toEqual({ pairId: 2 });
    expect(repo.nextUnrated(bo)).toEqual({ pairId: 1 });
    rate(3, ana, { choice: 'skip', strength: null });
    rate(2, ana, { choice: 'tie', strength: null });
    expect(repo.nextUnrated(ana)).toBeUndefined();
  });

  it('does not count a quality check as the live rating', () => {
    rate(1, ana, { isQualityCheck: true });
    expect(repo.nextUnrated(ana)).toEqual({ pairId: 1 });
    expect(repo.progress(ana)).toEqual({ rated: 0, skipped: 0, remaining: 3, total: 3 });
  });

  it('turns a second live rating of a pair into a ConflictError and keeps the first', () => {
    const first = rate(1, ana);
    expect(() => rate(1, ana, { choice: 'b' })).toThrow(ConflictError);
    expect(() => rate(1, ana, { choice: 'b' })).toThrow('pair 1 is already rated by annotator 1');
    expect(repo.listRecent(ana, 10).map((rating) => [rating.comparisonId, rating.choice])).toEqual([
      [first, 'a'],
    ]);
    expect(rate(1, bo)).toBeGreaterThan(first);
  });

  it('undoes the most recent rating (a quality check first), which makes that pair next again and rateable', () => {
    rate(1, ana);
    rate(2, ana);
    rate(2, ana, { isQualityCheck: true });
    expect(repo.undoLast(ana)).toMatchObject({ pairId: 2, isQualityCheck: true });
    expect(repo.progress(ana)).toEqual({ rated: 2, skipped: 0, remaining: 1, total: 3 });
    expect(repo.undoLast(ana)).toEqual({
      pairId: 2,
      leftCandidateId: pairs.getPair(2)?.candidateA.id,
      isQualityCheck: false,
    });
    expect(repo.nextUnrated(ana)).toEqual({ pairId: 2 });
    expect(repo.progress(ana)).toEqual({ rated: 1, skipped: 0, remaining: 2, total: 3 });
    rate(2, ana, { choice: 'b', strength: 1 });
    expect(repo.progress(ana)).toEqual({ rated: 2, skipped: 0, remaining: 1, total: 3 });
  });

  it('has nothing to undo for an annotator without live ratings', () => {
    rate(1, bo);
    expect(repo.undoLast(ana)).toBeUndefined();
    expect(repo.undoLast(bo)?.pairId).toBe(1);
    expect(repo.undoLast(bo)).toBeUndefined();
  });

  it('counts progress per annotator over all pairs', () => {
    expect(repo.progress(ana)).toEqual({ rated: 0, skipped: 0, remaining: 3, total: 3 });
    rate(1, ana);
    rate(3, ana);
    rate(2, bo);
    expect(repo.progress(ana)).toEqual({ rated: 2, skipped: 0, remaining: 1, total: 3 });
    expect(repo.progress(bo)).toEqual({ rated: 1, skipped: 0, remaining: 2, total: 3 });
  });

  it('lists live ratings newest first with the prompt text, up to the limit', () => {
    rate(1, ana, { note: 'clear win' });
    rate(2, ana, { choice: 'both_bad', strength: null, timeSpentMs: 40 });
    rate(3, ana);
    repo.undoLast(ana);
    rate(1, bo);
    const recent = repo.listRecent(ana, 5);
    expect(recent.map((rating) => rating.pairId)).toEqual([2, 1]);
    expect(recent[0]).toEqual({
      comparisonId: 2,
      pairId: 2,
      prompt: 'prompt 2',
      choice: 'both_bad',
      shownChoice: 'both_bad',
      strength: null,
      note: null,
      leftCandidateId: pairs.getPair(2)?.candidateA.id,
      timeSpentMs: 40,
      createdAt: expect.stringMatching(/Z$/),
    });
    expect(recent[1]?.note).toBe('clear win');
    expect(recent[1]?.shownChoice).toBe('left');
    expect(repo.listRecent(ana, 1).map((rating) => rating.pairId)).toEqual([2]);
  });

  it('words a win in screen terms from the side that was shown on the left', () => {
    const pair = pairs.getPair(1)!;
    rate(1, ana, { choice: 'a', leftCandidateId: pair.candidateB.id });
    rate(2, ana, { choice: 'b', leftCandidateId: pairs.getPair(2)!.candidateB.id });
    rate(3, ana, { choice: 'b' });
    expect(repo.listRecent(ana, 5).map((rating) => [rating.choice, rating.shownChoice])).toEqual([
      ['b', 'right'],
      ['b', 'left'],
      ['a', 'right'],
    ]);
  });

  it('reports a rating of a missing pair or annotator as NotFoundError', () => {
    expect(() => rate(1, 99)).toThrow(NotFoundError);
    expect(() => repo.insert({ ...baseInput(), pairId: 99 })).toThrow('pair 99, annotator 1 or candidate 1');
    expect(repo.progress(ana).rated).toBe(0);
  });
});

function baseInput(): NewComparison {
  return {
    pairId: 1,
    annotatorId: ana,
    choice: 'a',
    strength: null,
    note: null,
    timeSpentMs: 0,
    leftCandidateId: 1,
  };
}
