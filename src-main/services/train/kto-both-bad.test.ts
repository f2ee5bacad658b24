// "Both bad" ratings as KTO's undesirable examples: two per pair whose filtered majority is both bad, rated
// before the dataset's snapshot, split as the dataset splits; pairs with a winner stay the dataset's.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiHandlers } from '../../../src-shared/api';
import type { Workbench } from '../open-workbench';
import { bothBadKtoRows } from './kto-both-bad';
import { openKtoFixture, type KtoFixture } from './kto-test-support';

let fixture: KtoFixture;
let workbench: Workbench;
let api: ApiHandlers;
let rate: KtoFixture['rate'];

beforeEach(async () => {
  fixture = await openKtoFixture('dpo-kto-both-bad-');
  ({ workbench, api, rate } = fixture);
});

afterEach(() => fixture.close());

describe('both-bad ratings for KTO', () => {
  it('gives two undesirable examples per both-bad pair of the snapshot, nothing for the others', async () => {
    const ana = (await api.createAnnotator({ name: 'ana' })).id;
    await rate(ana, 1, 'left');
    await rate(ana, 2, 'both_bad');
    await rate(ana, 3, 'skip');
    const dataset = await fixture.snapshot(ana);
    await rate(ana, 4, 'both_bad'); // after the snapshot: not part of it
    const db = new Database(workbench.dbPath, { readonly: true });
    try {
      expect(bothBadKtoRows(db, dataset.id, false)).toEqual({
        train: [
          { prompt: 'P2', completion: 'P2 one', label: false },
          { prompt: 'P2', completion: 'P2 two', label: false },
        ],
        eval: [],
      });
      expect(bothBadKtoRows(db, dataset.id, true).train[0]).toEqual({
        prompt: [{ role: 'user', content: 'P2' }],
        completion: [{ role: 'assistant', content: 'P2 one' }],
        label: false,
      });
    } finally {
      db.close();
    }
  });
});
