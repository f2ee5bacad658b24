// Parses a TRL-style preference JSONL file (`{"prompt", "chosen", "rejected"}` string rows) in full before
// anything is stored, so a bad row rejects the whole file with its line number and field.
import { ApiError } from '../../src-shared/errors';
import type { PreferenceRow } from '../store/pairs-repo';

const FIELDS = ['prompt', 'chosen', 'rejected'] as const;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function parseLine(fileName: string, lineNumber: number, line: string): PreferenceRow {
  const where = `${fileName} line ${lineNumber}`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new ApiError('bad_file', `${where}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('bad_file', `${where}: expected a JSON object, got ${describeValue(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const field of FIELDS) {
    const fieldValue = record[field];
    if (fieldValue === undefined) throw new ApiError('bad_file', `${where}: field "${field}" is missing`);
    if (typeof fieldValue !== 'string') {
      throw new ApiError(
        'bad_file',
        `${where}: field "${field}" must be a string, got ${describeValue(fieldValue)}`,
      );
    }
    if (field !== 'prompt' && fieldValue.trim() === '') {
      throw new ApiError('bad_file', `${where}: field "${field}" is empty`);
    }
  }
  return {
    prompt: record.prompt as string,
    chosen: record.chosen as string,
    rejected: record.rejected as string,
  };
}

export function parsePreferenceJsonl(fileName: string, content: string): PreferenceRow[] {
  const rows: PreferenceRow[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    rows.push(parseLine(fileName, index + 1, line));
  });
  if (rows.length === 0) throw new ApiError('bad_file', `${fileName}: the file has no rows`);
  return rows;
}
