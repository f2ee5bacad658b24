// Reads an import file in full and validates every row before anything is stored: the format comes from
// the extension (or, failing that, the content), pairs or prompts from the columns unless `as` says so.
import path from 'node:path';
import type { ImportAs } from '../../../src-shared/schemas';
import { describeTextProblem, findBadString, findTextProblem } from '../../../src-shared/text-checks';
import { badFile } from './bad-file';
import { readCsvHeader, readCsvRecords, requireColumns } from './csv-records';
import type { ParsedImport, SourceRecord } from './import-types';
import { readJsonlRecords } from './jsonl-records';
import { looksLikeParquet, readParquetRecords } from './parquet-records';
import { parsePreferenceRecord } from './preference-record';
import { parsePromptRecord } from './prompt-record';
import { readTextPrompts } from './text-prompts';

export type FileType = 'jsonl' | 'csv' | 'parquet' | 'txt';

const EXTENSIONS: Record<string, FileType> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
  '.csv': 'csv',
  '.parquet': 'parquet',
  '.txt': 'txt',
};

export function detectFileType(fileName: string, bytes: Uint8Array): FileType {
  const byExtension = EXTENSIONS[path.extname(fileName).toLowerCase()];
  if (byExtension) return byExtension;
  if (looksLikeParquet(bytes)) return 'parquet';
  const start = new TextDecoder()
    .decode(bytes.subarray(0, 64))
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (start.startsWith('{') || start.startsWith('[')) return 'jsonl';
  throw badFile(fileName, 'unknown file type: use .jsonl, .csv, .parquet or .txt');
}

function decodeText(fileName: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badFile(fileName, 'not UTF-8 text');
  }
}

function hasPairFields(record: Record<string, unknown> | undefined): boolean {
  return record !== undefined && ('chosen' in record || 'rejected' in record);
}

/**
 * Every string of every row must be storable text: no NUL, no unpaired surrogate (JSON's "\ud800"), and
 * for Parquet, whose strings are decoded leniently, no U+FFFD standing for bytes that were not UTF-8.
 */
function checkRecordText(records: readonly SourceRecord[], decodedLeniently: boolean): void {
  for (const { where, record } of records) {
    const bad = findBadString(record, decodedLeniently);
    if (bad) throw badFile(where, `field ${bad}`);
  }
}

/** A whole text file (already strictly decoded): the first NUL or unpaired surrogate, by line. */
function checkFileText(fileName: string, text: string): void {
  const found = findTextProblem(text);
  if (found) throw badFile(`${fileName} line ${found.line}`, describeTextProblem('', found));
}

function fromRecords(
  fileName: string,
  records: SourceRecord[],
  as: ImportAs | undefined,
  type: FileType,
): ParsedImport {
  const first = records[0];
  if (!first) throw badFile(fileName, 'the file has no rows');
  checkRecordText(records, type === 'parquet');
  const kind = as ?? (hasPairFields(first.record) ? 'pairs' : 'prompts');
  if (kind === 'prompts') return { kind, format: 'prompts', prompts: records.map(parsePromptRecord) };
  const parsed = records.map(parsePreferenceRecord);
  return { kind, format: parsed[0]?.format ?? 'trl-standard', pairs: parsed.map((row) => row.pair) };
}

async function readRecords(fileName: string, type: FileType, bytes: Uint8Array, as: ImportAs | undefined) {
  if (type === 'parquet') return readParquetRecords(fileName, bytes);
  const text = decodeText(fileName, bytes);
  if (type === 'jsonl') return readJsonlRecords(fileName, text);
  const header = readCsvHeader(fileName, text);
  const pairs =
    as === 'pairs' || (as === undefined && (header.includes('chosen') || header.includes('rejected')));
  requireColumns(fileName, header, pairs ? ['prompt', 'chosen', 'rejected'] : ['prompt']);
  return readCsvRecords(fileName, text);
}

export async function parseImportFile(
  fileName: string,
  bytes: Uint8Array,
  as?: ImportAs,
): Promise<ParsedImport> {
  const type = detectFileType(fileName, bytes);
  if (type === 'txt') {
    if (as === 'pairs') throw badFile(fileName, 'a .txt file holds prompts, not pairs');
    const text = decodeText(fileName, bytes);
    checkFileText(fileName, text);
    const prompts = readTextPrompts(text);
    if (prompts.length === 0) throw badFile(fileName, 'the file has no rows');
    return { kind: 'prompts', format: 'prompts', prompts };
  }
  return fromRecords(fileName, await readRecords(fileName, type, bytes, as), as, type);
}
