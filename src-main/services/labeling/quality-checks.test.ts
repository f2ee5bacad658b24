// Self-consistency checks through the services, as the Rate view asks for them: spaced out (one per
// QUALITY_CHECK_EVERY judged ratings) for every annotator, never right after the rating they repeat.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiHandlers } from '../../../src-shared/api';
import { makeTempDir, removeDir } from '../../store/test-support';
import { openWorkbench, type Workbench } from '../open-workbench';
import { QUALITY_CHECK_EVERY } from './rating-extras-service';

let dir: string;
let workbench: Workbench;
let api: ApiHandlers;

beforeEach(async () => {
  dir = makeTempDir('dpo-checks-');
  workbench = openWorkbench({ dataDir: dir, transport: 'http' });
  api = workbench.services;
  const rows = Array.from({ length: 40 }, (_, i) => ({
    prompt: `P${i}`,
    chosen: `good ${i}`,
    rejected: `bad ${i}`,
  }));
  await api.importPairs({
    fileName: 'rows.jsonl',
    content: rows.map((row) => JSON.stringify(row)).join('\n'),
  });
});

afterEach(() => {
  workbench.close();
  removeDir(dir);
});

/** Plays `screens` screens of the Rate view; returns each screen's pair id and whether it was a check. */
async function play(
  annotatorId: number,
  screens: number,
  choice: 'left' | 'skip' = 'left',
  qualityChecks = true,
) {
  const shown: { pairId: number; check: boolean }[] = [];
  for (let i = 0; i < screens; i++) {
    const pair = await api.nextPair({ annotatorId, qualityChecks });
    if (!pair) break;
    shown.push({ pairId: pair.pairId, check: pair.qualityCheck });
    await api.submitRating({
      annotatorId,
      pairId: pair.pairId,
      leftCandidateId: pair.left.candidateId,
      choice: pair.qualityCheck ? 'left' : choice,
      strength: null,
      note: null,
      tags: [],
      qualityCheck: pair.qualityCheck,
      timeSpentMs: 500,
    });
  }
  return shown;
}

function expectSpaced(shown: readonly { pairId: number; check: boolean }[]) {
  shown.forEach((screen, i) => {
    if (!screen.check) return;
    const original = shown.findIndex((s) => s.pairId === screen.pairId && !s.check);
    expect(i - original).toBeGreaterThan(1);
    expect(shown[i - 1]?.check).toBe(false);
  });
}

describe('quality checks', () => {
  it('come once per ten judged ratings for a first and a second annotator, never right after the original', async () => {
    const first = await play(1, 22);
    expect(first.filter((s) => s.check)).toHaveLength(2);
    expectSpaced(first);
    const second = (await api.createAnnotator({ name: 'second' })).id;
    const screens = await play(second, 16);
    expect(screens.filter((s) => s.check)).toHaveLength(1);
    expect(screens.findIndex((s) => s.check)).toBe(QUALITY_CHECK_EVERY);
    expectSpaced(screens);
  });

  it('stay one per ten screens after many ratings made without checks (rank mode, a script)', async () => {
    await play(1, 30, 'left', false);
    const screens = await play(1, 10);
    expect(screens.map((s) => s.check)).toEqual([true, ...Array.from({ length: 9 }, () => false)]);
  });

  it('are not due for skips: a skipped pair is not a rating to check', async () => {
    const screens = await play(1, 15, 'skip');
    expect(screens.filter((s) => s.check)).toHaveLength(0);
  });
});
