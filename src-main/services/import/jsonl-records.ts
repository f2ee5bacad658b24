// JSON Lines -> one object per non-blank line, each with its line number (a BOM and CRLF endings are fine);
// a file holding one JSON array of objects (as `datasets` writes with lines=False) -> one per item.
import { badFile, describeValue } from './bad-file';
import type { SourceRecord } from './import-types';

function parseLine(where: string, line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw badFile(where, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badFile(where, `expected a JSON object, got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

function readJsonArray(fileName: string, text: string): SourceRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badFile(fileName, `not valid JSON (${(error as Error).message})`);
  }
  return (value as unknown[]).map((item, index) => {
    const where = `${fileName} item ${index + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw badFile(where, `expected a JSON object, got ${describeValue(item)}`);
    }
    return { where, record: item as Record<string, unknown> };
  });
}

export function readJsonlRecords(fileName: string, text: string): SourceRecord[] {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trimStart().startsWith('[')) return readJsonArray(fileName, body);
  const records: SourceRecord[] = [];
  const lines = body.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${fileName} line ${index + 1}`;
    records.push({ where, record: parseLine(where, line) });
  });
  return records;
}
