// Thumbs up / down as KTO examples: labels given before the dataset's snapshot on its prompts reach the KTO
// run's files (and the examples the trainer reads from them) with their label; an undone label, a label on
// another dataset's prompt, one given after the snapshot, and one a rated pair already gives do not.
import Database from 'better-sqlite3';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiHandlers } from '../../../src-shared/api';
import { writeCheckpointFixture } from '../../generate/checkpoint-fixture';
import { DatasetsRepo } from '../../store/datasets-repo';
import { readKtoRows } from '../../train/index';
import type { Workbench } from '../open-workbench';
import { openKtoFixture, type KtoFixture } from './kto-test-support';
import { ktoExtraRows, thumbKtoRows } from './kto-thumbs';
import { loadTokenizer, TRAIN_FILE, writeRunPairs } from './run-files';

let fixture: KtoFixture;
let dir: string;
let workbench: Workbench;
let api: ApiHandlers;
let rate: KtoFixture['rate'];

beforeEach(async () => {
  fixture = await openKtoFixture('dpo-kto-thumbs-');
  ({ dir, workbench, api, rate } = fixture);
});

afterEach(() => fixture.close());

describe('thumbs for KTO', () => {
  it('stores, changes and clears a label, returning the one replaced; an unknown candidate is named', async () => {
    expect(await api.labelCandidate({ candidateId: 3, label: 'desirable' })).toEqual({
      candidateId: 3,
      label: 'desirable',
      previous: null,
    });
    expect(await api.labelCandidate({ candidateId: 3, label: 'undesirable' })).toMatchObject({
      previous: 'desirable',
    });
    const [listed] = await api.listPromptCandidates({ promptIds: [2] });
    expect(listed?.candidates.map((c) => [c.id, c.label])).toEqual([
      [3, 'undesirable'],
      [4, null],
    ]);
    expect(await api.labelCandidate({ candidateId: 3, label: null })).toMatchObject({
      label: null,
      previous: 'undesirable',
    });
    const [cleared] = await api.listPromptCandidates({ promptIds: [2] });
    expect(cleared?.candidates[0]?.label).toBeNull();
    await expect(
      Promise.resolve().then(() => api.labelCandidate({ candidateId: 99, label: 'desirable' })),
    ).rejects.toThrow(/candidateId: no candidate with id 99/);
  });

  it('reaches the KTO examples of a run of the dataset, beside its pairs and both-bad answers', async () => {
    const ana = (await api.createAnnotator({ name: 'ana' })).id;
    await rate(ana, 1, 'left');
    await rate(ana, 2, 'both_bad');
    await rate(ana, 4, 'left');
    await api.labelCandidate({ candidateId: 2, label: 'desirable' }); // "P1 two": the pair says bad, the thumb good
    await api.labelCandidate({ candidateId: 1, label: 'desirable' }); // "P1 one": the pair already says so
    await api.labelCandidate({ candidateId: 5, label: 'undesirable' }); // P3: not in the dataset
    await api.labelCandidate({ candidateId: 8, label: 'desirable' });
    await api.labelCandidate({ candidateId: 8, label: null }); // undone
    const dataset = await fixture.snapshot(ana);
    await api.labelCandidate({ candidateId: 7, label: 'undesirable' }); // after the snapshot

    const db = new Database(workbench.dbPath, { readonly: true });
    let extra: ReturnType<typeof ktoExtraRows>;
    let rows: ReturnType<DatasetsRepo['rows']>;
    try {
      rows = new DatasetsRepo(db).rows(dataset.id, null);
      expect(thumbKtoRows(db, dataset.id, rows, false).train).toEqual([
        { prompt: 'P1', completion: 'P1 one', label: true },
        { prompt: 'P1', completion: 'P1 two', label: true },
      ]);
      expect(thumbKtoRows(db, dataset.id, rows, true).train[0]).toEqual({
        prompt: [{ role: 'user', content: 'P1' }],
        completion: [{ role: 'assistant', content: 'P1 one' }],
        label: true,
      });
      extra = ktoExtraRows(db, dataset.id, rows, false);
    } finally {
      db.close();
    }
    expect(extra.train).toEqual([
      { prompt: 'P2', completion: 'P2 one', label: false },
      { prompt: 'P2', completion: 'P2 two', label: false },
      { prompt: 'P1', completion: 'P1 two', label: true },
    ]);

    // The run's file and the examples the trainer reads from it: 2 pairs (4), both bad (2), the thumb (1).
    const runDir = join(dir, 'run');
    const modelDir = writeCheckpointFixture();
    try {
      await writeRunPairs(runDir, rows, false, extra);
      const lines = readFileSync(join(runDir, TRAIN_FILE), 'utf8').trim().split('\n');
      expect(lines.at(-1)).toBe(JSON.stringify({ prompt: 'P1', completion: 'P1 two', label: true }));
      const examples = await readKtoRows(join(runDir, TRAIN_FILE), loadTokenizer(modelDir));
      expect(examples).toHaveLength(7);
      expect(examples.filter((e) => e.desirable)).toHaveLength(3);
    } finally {
      rmSync(modelDir, { recursive: true, force: true });
    }
  });
});
