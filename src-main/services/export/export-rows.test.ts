// Exports load back unchanged: TRL rows have exactly TRL's keys and types, and every format round-trips
// (export, import into a fresh data folder, same pairs); the split is a column or one side.
import { parquetReadObjects } from 'hyparquet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExportFormat } from '../../../src-shared/labeling-schemas';
import { makeTempDir, removeDir } from '../../store/test-support';
import { openWorkbench, type Workbench } from '../open-workbench';

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

const FILE = [
  { prompt: 'Capital of France?', chosen: 'Paris.', rejected: 'Lyon.' },
  { prompt: 'Quote "this", please,\nwith a comma', chosen: 'Sure: "this"', rejected: 'No.' },
  {
    prompt: [user('Hi'), assistant('Hello!'), user('2 + 2?')],
    chosen: [assistant('4')],
    rejected: [assistant('5')],
  },
  { prompt: 'Unicode ✓ café', chosen: 'Oui ✓', rejected: 'Non' },
]
  .map((row) => JSON.stringify(row))
  .join('\n');

const dirs: string[] = [];
const open = () => {
  const dir = makeTempDir('dpo-export-');
  dirs.push(dir);
  return openWorkbench({ dataDir: dir, transport: 'http' });
};
let source: Workbench;
let datasetId: number;

beforeEach(async () => {
  source = open();
  const imported = await source.data.imports.importFile({
    fileName: 'mixed.jsonl',
    bytes: new TextEncoder().encode(FILE),
    dataset: 'mixed',
  });
  datasetId = imported.dataset!.id;
  source.data.datasets.rebuild(datasetId, { evalFraction: 0.5, splitSeed: 3 });
});

afterEach(() => {
  source.close();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function rowsOf(workbench: Workbench, id: number) {
  return workbench.data.datasets.preview(id, null, 0, 100).rows;
}

function jsonLines(bytes: Uint8Array): Array<Record<string, unknown>> {
  return new TextDecoder()
    .decode(bytes)
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('exports', () => {
  it('writes TRL standard rows with exactly prompt, chosen and rejected as strings', () => {
    const rows = jsonLines(source.data.datasets.exportDataset(datasetId, 'trl', null).bytes);
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['prompt', 'chosen', 'rejected']);
      expect(Object.values(row).map((value) => typeof value)).toEqual(['string', 'string', 'string']);
    }
    expect(rows[0]).toEqual({ prompt: 'Capital of France?', chosen: 'Paris.', rejected: 'Lyon.' });
  });

  it('writes TRL conversational rows: the prompt turns, one assistant turn per side', () => {
    const rows = jsonLines(source.data.datasets.exportDataset(datasetId, 'trl-conversational', null).bytes);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['prompt', 'chosen', 'rejected']);
      for (const messages of Object.values(row) as Array<Array<Record<string, unknown>>>) {
        expect(Array.isArray(messages)).toBe(true);
        for (const message of messages) {
          expect(Object.keys(message)).toEqual(['role', 'content']);
          expect([typeof message.role, typeof message.content]).toEqual(['string', 'string']);
        }
      }
    }
    expect(rows[2]).toEqual({
      prompt: [user('Hi'), assistant('Hello!'), user('2 + 2?')],
      chosen: [assistant('4')],
      rejected: [assistant('5')],
    });
    expect(rows[0]).toMatchObject({ prompt: [user('Capital of France?')] });
  });

  it('adds weight and split columns to CSV and Parquet, and writes one side with a split', async () => {
    const all = rowsOf(source, datasetId);
    const evalRows = all.filter((row) => row.split === 'eval');
    // Seed 3 sends the first two prompts to eval.
    expect(all.map((row) => row.split)).toEqual(['eval', 'eval', 'train', 'train']);
    const csv = new TextDecoder().decode(source.data.datasets.exportDataset(datasetId, 'csv', null).bytes);
    expect(csv.split('\n')[0]).toBe('prompt,chosen,rejected,weight,split');
    const parquet = source.data.datasets.exportDataset(datasetId, 'parquet', 'eval');
    expect(parquet.rows).toBe(evalRows.length);
    const file = parquet.bytes.buffer.slice(0) as ArrayBuffer;
    const read = await parquetReadObjects({ file });
    expect(read.map((row) => row.split)).toEqual(evalRows.map(() => 'eval'));
    expect(read.map((row) => row.chosen)).toEqual(evalRows.map((row) => row.chosen));
  });

  it.each<ExportFormat>(['trl', 'trl-conversational', 'csv', 'parquet'])(
    'round-trips %s: export, import into a fresh data folder, the same pairs',
    async (format) => {
      const exported = source.data.datasets.exportDataset(datasetId, format, null);
      const target = open();
      try {
        const result = await target.data.imports.importFile({
          fileName: exported.fileName,
          bytes: exported.bytes,
          dataset: 'copy',
        });
        expect(result).toMatchObject({ kind: 'pairs', rows: 4, pairsAdded: 4 });
        const texts = (rows: ReturnType<typeof rowsOf>) =>
          rows.map(({ prompt, chosen, rejected }) => ({ prompt, chosen, rejected }));
        expect(texts(rowsOf(target, result.dataset!.id))).toEqual(texts(rowsOf(source, datasetId)));
        if (format === 'trl-conversational') {
          expect(rowsOf(target, result.dataset!.id)[2]?.promptMessages).toEqual([
            user('Hi'),
            assistant('Hello!'),
            user('2 + 2?'),
          ]);
        }
      } finally {
        target.close();
      }
    },
  );
});
