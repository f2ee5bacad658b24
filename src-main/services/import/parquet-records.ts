// Parquet -> one object per row (strings, or lists of {role, content} structs), named by row number.
import { parquetReadObjects } from 'hyparquet';
import { badFile } from './bad-file';
import type { SourceRecord } from './import-types';

export const PARQUET_MAGIC = 'PAR1';

export async function readParquetRecords(fileName: string, bytes: Uint8Array): Promise<SourceRecord[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Array<Record<string, unknown>>;
  try {
    rows = await parquetReadObjects({ file });
  } catch (error) {
    throw badFile(fileName, `not a readable Parquet file (${(error as Error).message})`);
  }
  return rows.map((record, index) => ({ where: `${fileName} row ${index + 1}`, record }));
}

export function looksLikeParquet(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(0, 4)) === PARQUET_MAGIC;
}
