// Dataset rows -> the bytes of an export file: TRL preference JSONL (standard or conversational), CSV or
// Parquet. TRL rows carry exactly prompt/chosen/rejected; CSV and Parquet add weight and split columns.
import { stringify } from 'csv-stringify/sync';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ExportFormat } from '../../../src-shared/labeling-schemas';
import type { ChatMessage } from '../../../src-shared/schemas';
import type { StoredDatasetRow } from '../../store/datasets-repo';
import { promptMessagesOf } from '../import/messages';

export const EXTENSIONS: Record<ExportFormat, string> = {
  trl: '.jsonl',
  'trl-conversational': '.jsonl',
  csv: '.csv',
  parquet: '.parquet',
};

/** TRL's standard preference row (explicit prompt). */
export function trlStandardRow(row: StoredDatasetRow) {
  return { prompt: row.prompt, chosen: row.chosen, rejected: row.rejected };
}

/** TRL's conversational preference row: the prompt's turns, and one assistant turn per side. */
export function trlConversationalRow(row: StoredDatasetRow) {
  const messages = row.messagesJson === null ? null : (JSON.parse(row.messagesJson) as ChatMessage[]);
  return {
    prompt: promptMessagesOf(row.prompt, messages),
    chosen: [{ role: 'assistant', content: row.chosen }],
    rejected: [{ role: 'assistant', content: row.rejected }],
  };
}

function jsonLines(rows: readonly object[]): Uint8Array {
  return new TextEncoder().encode(rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}

function csvBytes(rows: readonly StoredDatasetRow[]): Uint8Array {
  const records = rows.map((row) => [row.prompt, row.chosen, row.rejected, row.weight, row.split]);
  const text = stringify(records, {
    header: true,
    columns: ['prompt', 'chosen', 'rejected', 'weight', 'split'],
  });
  return new TextEncoder().encode(text);
}

function parquetBytes(rows: readonly StoredDatasetRow[]): Uint8Array {
  const column = (name: keyof StoredDatasetRow) => rows.map((row) => row[name]);
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'prompt', data: column('prompt'), type: 'STRING' },
      { name: 'chosen', data: column('chosen'), type: 'STRING' },
      { name: 'rejected', data: column('rejected'), type: 'STRING' },
      { name: 'weight', data: column('weight'), type: 'DOUBLE' },
      { name: 'split', data: column('split'), type: 'STRING' },
    ],
  });
  return new Uint8Array(buffer);
}

export function exportRows(rows: readonly StoredDatasetRow[], format: ExportFormat): Uint8Array {
  if (format === 'trl') return jsonLines(rows.map(trlStandardRow));
  if (format === 'trl-conversational') return jsonLines(rows.map(trlConversationalRow));
  if (format === 'csv') return csvBytes(rows);
  return parquetBytes(rows);
}
