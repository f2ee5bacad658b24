// AnnotatorsRepo: listing, creating (names unique regardless of case), the default annotator.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnnotatorsRepo } from './annotators-repo';
import { ConflictError } from './errors';
import { openTempDatabase } from './test-support';
import type { TempDatabase } from './test-support';

let temp: TempDatabase;
let repo: AnnotatorsRepo;
beforeEach(() => {
  temp = openTempDatabase();
  repo = new AnnotatorsRepo(temp.db);
});
afterEach(() => temp.dispose());

describe('AnnotatorsRepo', () => {
  it('creates annotators and lists them in creation order', () => {
    expect(repo.list()).toEqual([]);
    const ana = repo.create('Ana');
    const bo = repo.create('Bo');
    expect(ana).toEqual({ id: 1, name: 'Ana', createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/) });
    expect(repo.list().map((annotator) => annotator.name)).toEqual(['Ana', 'Bo']);
    expect(bo.id).toBe(2);
  });

  it('refuses a name already taken, whatever its case, with a ConflictError', () => {
    repo.create('Ana');
    expect(() => repo.create('ana')).toThrow(ConflictError);
    expect(() => repo.create('ANA')).toThrow('an annotator named "ANA" already exists');
    expect(repo.list()).toHaveLength(1);
  });

  it('creates the default annotator once', () => {
    const first = repo.getOrCreateDefault();
    const second = repo.getOrCreateDefault();
    expect(first.name).toBe('me');
    expect(second).toEqual(first);
    expect(repo.list()).toHaveLength(1);
  });

  it('tells whether an id exists', () => {
    const ana = repo.create('Ana');
    expect(repo.exists(ana.id)).toBe(true);
    expect(repo.exists(ana.id + 1)).toBe(false);
  });
});
