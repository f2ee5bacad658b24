// ModelsRepo: versions with lineage, trained adapters resolved onto their base checkpoint, removal.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from './errors';
import { ModelsRepo, type NewModel } from './models-repo';
import { openTempDatabase, type TempDatabase } from './test-support';

let temp: TempDatabase;
let repo: ModelsRepo;
beforeEach(() => {
  temp = openTempDatabase();
  repo = new ModelsRepo(temp.db);
});
afterEach(() => temp.dispose());

const base: NewModel = {
  name: 'base',
  kind: 'imported',
  path: '/models/base',
  adapterPath: null,
  architecture: 'LlamaForCausalLM',
  dtype: 'float32',
  parameterCount: 1234,
  parentId: null,
  config: { hidden_size: 16 },
};

describe('ModelsRepo', () => {
  it('stores a version with its config and lists it', () => {
    const row = repo.insert(base);
    expect(row).toMatchObject({ ...base, id: 1, removedAt: null });
    expect(row.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    expect(repo.list()).toEqual([row]);
    expect(repo.get(1)).toEqual(row);
    expect(repo.get(2)).toBeNull();
    expect(repo.resolve(1)).toEqual({ modelDir: '/models/base' });
  });

  it('resolves a trained adapter, and an adapter trained on it, onto the root base checkpoint', () => {
    const root = repo.insert(base);
    const tuned = repo.insert({
      ...base,
      name: 'tuned',
      kind: 'trained',
      path: '',
      adapterPath: '/runs/1/adapter',
      parentId: root.id,
    });
    const again = repo.insert({
      ...base,
      name: 'tuned twice',
      kind: 'trained',
      path: '',
      adapterPath: '/runs/2/adapter',
      parentId: tuned.id,
    });
    expect(tuned).toMatchObject({ path: '/models/base', adapterPath: '/runs/1/adapter', parentId: 1 });
    expect(repo.resolve(again.id)).toEqual({ modelDir: '/models/base', adapterDir: '/runs/2/adapter' });
    expect(repo.ownFolder(again.id)).toBe('/runs/2/adapter');
    expect(repo.children(root.id).map((m) => m.name)).toEqual(['tuned']);
  });

  it('refuses a trained version without parent or adapter, and an unknown parent', () => {
    expect(() => repo.insert({ ...base, kind: 'trained', adapterPath: '/a' })).toThrow(
      'model "base": a trained version needs its parent (base) id',
    );
    repo.insert(base);
    expect(() => repo.insert({ ...base, kind: 'trained', parentId: 1 })).toThrow('needs its adapter folder');
    expect(() => repo.insert({ ...base, adapterPath: '/a' })).toThrow('only a trained version');
    expect(() => repo.insert({ ...base, parentId: 7 })).toThrow(NotFoundError);
    expect(repo.list()).toHaveLength(1);
  });

  it('hides removed versions unless asked, and refuses an unknown id', () => {
    const first = repo.insert(base);
    const second = repo.insert({ ...base, name: 'other', path: '/models/other' });
    repo.markRemoved(first.id);
    expect(repo.list().map((m) => m.id)).toEqual([second.id]);
    const all = repo.list({ includeRemoved: true });
    expect(all.map((m) => m.id)).toEqual([first.id, second.id]);
    expect(all[0]!.removedAt).toMatch(/Z$/);
    expect(() => repo.markRemoved(99)).toThrow('modelId: no model with id 99');
    expect(() => repo.resolve(99)).toThrow(NotFoundError);
  });
});
