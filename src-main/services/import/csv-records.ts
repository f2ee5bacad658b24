// CSV with a header row -> one object per record, named by the line it ends on; the columns are checked
// against what the import needs before any row is read.
import { parse } from 'csv-parse/sync';
import { badFile } from './bad-file';
import type { SourceRecord } from './import-types';

export function readCsvRecords(fileName: string, text: string): SourceRecord[] {
  let parsed: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    parsed = parse(text, { columns: true, bom: true, skip_empty_lines: true, info: true });
  } catch (error) {
    throw badFile(fileName, `not valid CSV (${(error as Error).message})`);
  }
  return parsed.map(({ record, info }) => ({ where: `${fileName} line ${info.lines}`, record }));
}

/** The header's column names: the first line, parsed as CSV. */
export function readCsvHeader(fileName: string, text: string): string[] {
  try {
    const rows = parse(text, { bom: true, to_line: 1, relax_column_count: true }) as string[][];
    return rows[0] ?? [];
  } catch (error) {
    throw badFile(fileName, `not valid CSV (${(error as Error).message})`);
  }
}

export function requireColumns(fileName: string, header: readonly string[], needed: readonly string[]): void {
  const missing = needed.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw badFile(
      fileName,
      `the CSV header must name the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` +
        ` (found: ${header.join(', ') || 'none'})`,
    );
  }
}
