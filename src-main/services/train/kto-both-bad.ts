// KTO learns from answers rated bad without a better one beside them: a pair whose ratings (within the
// dataset's filters, made before the snapshot) come out "both bad" gives two undesirable examples. DPO has no
// use for them, so datasets leave them out; a KTO run adds them to its files, on their prompt's side of the
// dataset's split (train for a prompt the dataset does not hold).
import type Database from 'better-sqlite3';
import { DatasetFilters } from '../../../src-shared/labeling-schemas';
import { DatasetsRepo, type RatingSource } from '../../store/datasets-repo';
import { passesFilters } from '../datasets/build-dataset';
import { trlConversationalRow, trlStandardRow } from '../export/export-rows';

export interface KtoExtraRows {
  train: object[];
  eval: object[];
}

/** Pairs whose filtered votes have "both bad" as their one most frequent choice (skips are no vote). */
function bothBadPairs(ratings: readonly RatingSource[]): number[] {
  const tallies = new Map<number, Map<string, number>>();
  for (const r of ratings) {
    if (r.choice === 'skip') continue;
    const tally = tallies.get(r.pairId) ?? new Map<string, number>();
    tally.set(r.choice, (tally.get(r.choice) ?? 0) + 1);
    tallies.set(r.pairId, tally);
  }
  return [...tallies]
    .filter(([, tally]) => {
      const top = Math.max(...tally.values());
      const leaders = [...tally].filter(([, n]) => n === top);
      return leaders.length === 1 && leaders[0]?.[0] === 'both_bad';
    })
    .map(([pairId]) => pairId);
}

/** KTO rows {prompt, completion, label: false} for both answers of every both-bad pair of the dataset. */
export function bothBadKtoRows(
  db: Database.Database,
  datasetId: number,
  conversational: boolean,
): KtoExtraRows {
  const datasets = new DatasetsRepo(db);
  const record = datasets.get(datasetId);
  if (!record) return { train: [], eval: [] };
  const filters = DatasetFilters.parse(JSON.parse(record.filtersJson));
  const ratings = datasets
    .ratingSources()
    .filter((r) => r.createdAt <= record.createdAt && passesFilters(r, filters));
  const texts = db.prepare<[number, number], { a: string; b: string; messagesJson: string | null }>(
    `SELECT ca.text AS a, cb.text AS b, pr.messages_json AS messagesJson FROM candidates ca, candidates cb
       JOIN prompts pr ON pr.id = ca.prompt_id WHERE ca.id = ? AND cb.id = ?`,
  );
  const byPair = new Map(ratings.map((r) => [r.pairId, r]));
  // A prompt keeps its side of the dataset's split; a prompt the dataset does not hold trains.
  const sideOf = new Map(datasets.rows(datasetId, null).map((row) => [row.prompt, row.split]));
  const out: KtoExtraRows = { train: [], eval: [] };
  for (const pairId of bothBadPairs(ratings)) {
    const r = byPair.get(pairId) as RatingSource;
    const found = texts.get(r.candidateAId, r.candidateBId);
    if (!found) continue;
    const stored = {
      pairId,
      comparisonId: null,
      prompt: r.promptText,
      messagesJson: found.messagesJson,
      chosen: found.a,
      rejected: found.b,
      weight: 1,
      split: 'train' as const,
    };
    const row = conversational ? trlConversationalRow(stored) : trlStandardRow(stored);
    const split = sideOf.get(r.promptText) ?? 'train';
    for (const completion of [row.chosen, row.rejected])
      out[split].push({ prompt: row.prompt, completion, label: false });
  }
  return out;
}
