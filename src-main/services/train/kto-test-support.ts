// Shared by the KTO-source tests (both-bad ratings, thumbs): a workbench with four imported pairs, where
// candidates 2p-1 ("Pp one", the file's chosen) and 2p ("Pp two") answer prompt Pp, and a rating helper.
import type { ApiHandlers } from '../../../src-shared/api';
import { makeTempDir, removeDir } from '../../store/test-support';
import { openWorkbench, type Workbench } from '../open-workbench';

export const KTO_ROWS = ['P1', 'P2', 'P3', 'P4'].map((prompt) => ({
  prompt,
  chosen: `${prompt} one`,
  rejected: `${prompt} two`,
}));

export interface KtoFixture {
  dir: string;
  workbench: Workbench;
  api: ApiHandlers;
  /** Rates pair `pairId` as `annotatorId`, with its first candidate shown on the left. */
  rate(annotatorId: number, pairId: number, choice: 'left' | 'both_bad' | 'skip'): Promise<void>;
  /** A dataset of `annotatorId`'s ratings, no eval split; anything done after this call is after its snapshot. */
  snapshot(annotatorId: number): Promise<{ id: number }>;
  close(): void;
}

/** A fresh data folder (name starting with `prefix`) holding KTO_ROWS as unrated pairs. */
export async function openKtoFixture(prefix: string): Promise<KtoFixture> {
  const dir = makeTempDir(prefix);
  const workbench = openWorkbench({ dataDir: dir, transport: 'http', aOnLeft: () => true });
  const api = workbench.services;
  await api.importPairs({
    fileName: 'rows.jsonl',
    content: KTO_ROWS.map((r) => JSON.stringify(r)).join('\n'),
  });
  return {
    dir,
    workbench,
    api,
    async rate(annotatorId, pairId, choice) {
      await api.submitRating({
        annotatorId,
        pairId,
        leftCandidateId: pairId * 2 - 1,
        choice,
        strength: null,
        note: null,
        tags: [],
        qualityCheck: false,
        timeSpentMs: 1000,
      });
    },
    async snapshot(annotatorId) {
      const dataset = await api.createDataset({
        name: 'd',
        description: null,
        filters: { annotatorIds: [annotatorId] },
        evalFraction: 0,
        splitSeed: 0,
      });
      await new Promise((resolve) => setTimeout(resolve, 5)); // later rows get a later timestamp
      return dataset;
    },
    close() {
      workbench.close();
      removeDir(dir);
    },
  };
}
