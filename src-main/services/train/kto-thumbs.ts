// Thumbs up / down from the Generate view as KTO examples: a candidate marked desirable is {label: true},
// undesirable {label: false} (TRL's unpaired KTO rows). A KTO run of a dataset takes the labels given
// before the dataset's snapshot on the prompts the dataset holds, each on its prompt's side of the split;
// an example the run already has (the same answer with the same label from a rated pair) is not repeated.
import type Database from 'better-sqlite3';
import { CandidateLabelsRepo } from '../../store/candidate-labels-repo';
import { DatasetsRepo, type StoredDatasetRow } from '../../store/datasets-repo';
import { trlConversationalRow, trlStandardRow } from '../export/export-rows';
import { bothBadKtoRows, type KtoExtraRows } from './kto-both-bad';

interface KtoRow {
  prompt: unknown;
  completion: unknown;
  label: boolean;
}

const keyOf = (row: KtoRow) => JSON.stringify([row.prompt, row.completion, row.label]);

/** KTO rows from the thumbs on the prompts of the dataset's `rows`, minus those already in `have`. */
export function thumbKtoRows(
  db: Database.Database,
  datasetId: number,
  rows: readonly StoredDatasetRow[],
  conversational: boolean,
  have: readonly object[] = [],
): KtoExtraRows {
  const record = new DatasetsRepo(db).get(datasetId);
  if (!record) return { train: [], eval: [] };
  const sideOf = new Map(rows.map((row) => [row.prompt, row.split]));
  const seen = new Set(have.map((row) => keyOf(row as KtoRow)));
  const out: KtoExtraRows = { train: [], eval: [] };
  for (const labeled of new CandidateLabelsRepo(db).labeledBefore(record.createdAt)) {
    const split = sideOf.get(labeled.promptText);
    if (split === undefined) continue; // a prompt of another dataset
    // The export's row builders render prompt and answer as every other row of the run is rendered.
    const stored = {
      pairId: 0,
      comparisonId: null,
      prompt: labeled.promptText,
      messagesJson: labeled.messagesJson,
      chosen: labeled.text,
      rejected: labeled.text,
      weight: 1,
      split,
    };
    const rendered = conversational ? trlConversationalRow(stored) : trlStandardRow(stored);
    const row: KtoRow = {
      prompt: rendered.prompt,
      completion: rendered.chosen,
      label: labeled.label === 'desirable',
    };
    const key = keyOf(row);
    if (seen.has(key)) continue;
    seen.add(key);
    out[split].push(row);
  }
  return out;
}

/**
 * What a KTO run of a dataset adds to its pairs: the both-bad answers (kto-both-bad.ts) and the thumbs,
 * a thumb left out where a pair or a both-bad rating already gives that answer the same label.
 */
export function ktoExtraRows(
  db: Database.Database,
  datasetId: number,
  rows: readonly StoredDatasetRow[],
  conversational: boolean,
): KtoExtraRows {
  const bothBad = bothBadKtoRows(db, datasetId, conversational);
  const fromPairs = rows.flatMap((stored) => {
    const row = conversational ? trlConversationalRow(stored) : trlStandardRow(stored);
    return [
      { prompt: row.prompt, completion: row.chosen, label: true },
      { prompt: row.prompt, completion: row.rejected, label: false },
    ];
  });
  const thumbs = thumbKtoRows(db, datasetId, rows, conversational, [
    ...fromPairs,
    ...bothBad.train,
    ...bothBad.eval,
  ]);
  return {
    train: [...bothBad.train, ...thumbs.train],
    eval: [...bothBad.eval, ...thumbs.eval],
  };
}
