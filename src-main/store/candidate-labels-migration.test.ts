// migrations/0006_candidate_labels.sql through CandidateLabelsRepo: one label per candidate, its check, the
// row gone with its candidate, labels listed up to a time, and the lookup by candidate on the primary key.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CandidateLabelsRepo } from './candidate-labels-repo';
import { insertPair, openTempDatabase, type TempDatabase } from './test-support';

let temp: TempDatabase;
let repo: CandidateLabelsRepo;

beforeEach(() => {
  temp = openTempDatabase();
  repo = new CandidateLabelsRepo(temp.db);
});
afterEach(() => temp.dispose());

describe('0006_candidate_labels', () => {
  it('keeps one label per candidate, refuses other values, and drops it with its candidate', () => {
    const { candidateAId, candidateBId, pairId } = insertPair(temp.db, 'Q');
    expect(repo.set(candidateAId, 'desirable')).toBeNull();
    expect(repo.set(candidateAId, 'undesirable')).toBe('desirable');
    expect(repo.set(candidateBId, 'desirable')).toBeNull();
    expect(temp.db.prepare('SELECT COUNT(*) FROM candidate_labels').pluck().get()).toBe(2);
    expect(() =>
      temp.db
        .prepare("INSERT INTO candidate_labels (candidate_id, label) VALUES (?, 'meh')")
        .run(candidateAId),
    ).toThrow(/CHECK constraint failed/);
    expect(repo.labeledBefore('9999')).toEqual([
      { candidateId: candidateAId, promptText: 'Q', messagesJson: null, text: 'Q / A', label: 'undesirable' },
      { candidateId: candidateBId, promptText: 'Q', messagesJson: null, text: 'Q / B', label: 'desirable' },
    ]);
    expect(repo.labeledBefore('2000')).toEqual([]);
    temp.db.prepare('DELETE FROM pairs WHERE id = ?').run(pairId);
    temp.db.prepare('DELETE FROM candidates WHERE id = ?').run(candidateAId);
    expect(repo.get(candidateAId)).toBeNull();
    expect(repo.set(candidateBId, null)).toBe('desirable');
    expect(temp.db.prepare('SELECT COUNT(*) FROM candidate_labels').pluck().get()).toBe(0);
  });

  it("finds a candidate's label by its primary key", () => {
    const plan = temp.db
      .prepare('EXPLAIN QUERY PLAN SELECT label FROM candidate_labels WHERE candidate_id = ?')
      .all(1) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/SEARCH candidate_labels USING INTEGER PRIMARY KEY/);
  });
});
