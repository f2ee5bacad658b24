// Fuzzing the importers (fast-check): random, truncated and malformed files, invalid Unicode, NULs and huge
// fields never crash; they import in full (every row counted, every stored text readable back), or fail
// with a one-line ApiError('bad_file') naming the file, and then nothing at all was stored.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src-shared/errors';
import type { FileImportResult } from '../../../src-shared/schemas';
import { findTextProblem } from '../../../src-shared/text-checks';
import { makeTempDir, removeDir } from '../../store/test-support';
import { openWorkbench, type Workbench } from '../open-workbench';

const TABLES = ['prompts', 'candidates', 'pairs', 'datasets', 'dataset_pairs'] as const;

let dir: string;
let workbench: Workbench;
let reader: Database.Database;
let datasetNumber = 0;

beforeAll(() => {
  dir = makeTempDir('dpo-fuzz-');
  workbench = openWorkbench({ dataDir: dir, transport: 'http' });
  reader = new Database(workbench.dbPath, { readonly: true });
});
afterAll(() => {
  reader.close();
  workbench.close();
  removeDir(dir);
});

function counts(): number[] {
  return TABLES.map(
    (table) => reader.prepare<[], number>(`SELECT COUNT(*) FROM ${table}`).pluck().get() ?? 0,
  );
}

const outcomes = { imported: 0, refused: 0 };

const lastId = (table: string) =>
  reader.prepare<[], number>(`SELECT COALESCE(MAX(id), 0) FROM ${table}`).pluck().get() ?? 0;

/** Every text stored since `since` reads back as clean Unicode: no NUL, no unpaired surrogate. */
function expectReadableTexts(since: { prompts: number; candidates: number }): void {
  for (const table of ['prompts', 'candidates'] as const) {
    const texts = reader
      .prepare<[number], string>(`SELECT text FROM ${table} WHERE id > ?`)
      .pluck()
      .all(since[table]);
    for (const text of texts) expect([table, findTextProblem(text)]).toEqual([table, undefined]);
  }
}

/** Imports the file; a failure must be bad_file naming the file, with every table as it was. */
async function importChecked(fileName: string, bytes: Uint8Array, as?: 'pairs' | 'prompts'): Promise<void> {
  const before = counts();
  const since = { prompts: lastId('prompts'), candidates: lastId('candidates') };
  let result: FileImportResult;
  try {
    result = await workbench.data.imports.importFile({
      fileName,
      bytes,
      as,
      dataset: `fuzz-${(datasetNumber += 1)}`,
    });
  } catch (error) {
    outcomes.refused += 1;
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.message).not.toContain('\n');
    if (apiError.code === 'invalid_input') {
      // A prompt list cannot become a dataset: refused before anything is stored.
      expect(apiError.message).toBe(`${fileName}: a dataset needs pairs, and this file holds prompts`);
    } else {
      expect(apiError.code).toBe('bad_file');
      expect(apiError.message.startsWith(`${fileName}`)).toBe(true);
    }
    expect(counts()).toEqual(before);
    return;
  }
  outcomes.imported += 1;
  // In full: every row of the file is stored, already stored, or dropped as chosen = rejected.
  const accounted =
    result.pairsAdded + result.promptsAdded + result.duplicatesSkipped + result.identicalSkipped;
  expect(accounted).toBe(result.rows);
  expectReadableTexts(since);
}

const VALID_JSONL = [
  { prompt: 'p1', chosen: 'c1', rejected: 'r1' },
  {
    prompt: [{ role: 'user', content: 'p2' }],
    chosen: [{ role: 'assistant', content: 'c2' }],
    rejected: [{ role: 'assistant', content: 'r2' }],
  },
  { chosen: '\n\nHuman: p3\n\nAssistant: c3', rejected: '\n\nHuman: p3\n\nAssistant: r3' },
]
  .map((row) => JSON.stringify(row))
  .join('\n');
const VALID_CSV = 'prompt,chosen,rejected\n"multi\nline",c4,r4\np5,"quoted, ""c5""",r5\n';
const VALID_PARQUET = new Uint8Array(
  parquetWriteBuffer({
    columnData: [
      { name: 'prompt', data: ['p6', 'p7'], type: 'STRING' },
      {
        name: 'chosen',
        data: [[{ role: 'assistant', content: 'c6' }], [{ role: 'assistant', content: 'c7' }]],
      },
      {
        name: 'rejected',
        data: [[{ role: 'assistant', content: 'r6' }], [{ role: 'assistant', content: 'r7' }]],
      },
    ],
  }),
);

const fileName = fc.constantFrom('f.jsonl', 'f.csv', 'f.parquet', 'f.txt', 'noext');
const as = fc.constantFrom(undefined, 'pairs' as const, 'prompts' as const);

describe('importer fuzzing', () => {
  it('random bytes under any name never crash and store nothing when refused', async () => {
    await fc.assert(
      fc.asyncProperty(fileName, fc.uint8Array({ maxLength: 300 }), as, async (name, bytes, kind) => {
        await importChecked(name, bytes, kind);
      }),
      { numRuns: 150 },
    );
  });

  it('truncated valid files import or fail cleanly', async () => {
    Object.assign(outcomes, { imported: 0, refused: 0 });
    const files: Array<[string, Uint8Array]> = [
      ['t.jsonl', new TextEncoder().encode(VALID_JSONL)],
      ['t.csv', new TextEncoder().encode(VALID_CSV)],
      ['t.parquet', VALID_PARQUET],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...files),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async ([name, bytes], cut) => {
          await importChecked(name, bytes.subarray(0, Math.floor(bytes.length * cut)));
        },
      ),
      { numRuns: 150 },
    );
    // Some cuts land on a row boundary (or keep the whole file) and import; most break a row.
    expect(outcomes.imported).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(outcomes.imported);
  });

  it('JSON lines of random values, and valid rows followed by one random value, fail cleanly', async () => {
    const line = fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null');
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 5 }), async (lines) => {
        await importChecked('j.jsonl', new TextEncoder().encode(lines.join('\n')));
        await importChecked('k.jsonl', new TextEncoder().encode(`${VALID_JSONL}\n${lines.join('\n')}`));
      }),
      { numRuns: 150 },
    );
  });

  it('rows with random field values fail on the row and field, storing nothing', async () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.record({ role: fc.string(), content: fc.string() })),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(value, value, value, async (prompt, chosen, rejected) => {
        const row = JSON.stringify({ prompt, chosen, rejected });
        await importChecked('r.jsonl', new TextEncoder().encode(`${VALID_JSONL}\n${row}`));
      }),
      { numRuns: 200 },
    );
  });

  it('texts with NULs, unpaired surrogates and huge fields, in JSONL, CSV, Parquet and .txt: all or nothing, stored text readable', async () => {
    Object.assign(outcomes, { imported: 0, refused: 0 });
    const piece = fc.oneof(
      fc.constantFrom('\0', '\ud800', '\udfff', '\ud83d\ude00', 'é', ' ', '"', ',', '\n'),
      fc.string({ maxLength: 8 }),
      fc.constant('x'.repeat(100_000)),
    );
    const text = fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => `t${parts.join('')}`);
    const row = fc.record({ prompt: text, chosen: text, rejected: text });
    const csvCell = (value: string) => `"${value.replaceAll('"', '""')}"`;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 4 }), async (rows) => {
        const encode = (value: string) => new TextEncoder().encode(value);
        await importChecked('u.jsonl', encode(rows.map((r) => JSON.stringify(r)).join('\n')));
        const csv = rows.map((r) => [r.prompt, r.chosen, r.rejected].map(csvCell).join(','));
        await importChecked('u.csv', encode(`prompt,chosen,rejected\n${csv.join('\n')}\n`));
        await importChecked('u.txt', encode(rows.map((r) => r.prompt.replaceAll('\n', ' ')).join('\n')));
        const column = (name: 'prompt' | 'chosen' | 'rejected') => ({
          name,
          data: rows.map((r) => r[name]),
          type: 'STRING' as const,
        });
        const parquet = parquetWriteBuffer({
          columnData: [column('prompt'), column('chosen'), column('rejected')],
        });
        await importChecked('u.parquet', new Uint8Array(parquet));
      }),
      { numRuns: 40 },
    );
    expect(outcomes.imported).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('a Parquet file with bit flips in its strings is refused at the row (U+FFFD from the decoder)', async () => {
    const bytes = VALID_PARQUET.slice();
    const at = Buffer.from(bytes).indexOf('p7');
    bytes[at] = 0xff; // not UTF-8: a lenient decoder reads U+FFFD
    const before = counts();
    await expect(workbench.data.imports.importFile({ fileName: 'flip.parquet', bytes })).rejects.toThrow(
      'flip.parquet row 2: field prompt: a U+FFFD replacement character (bytes that are not text) at column 1',
    );
    expect(counts()).toEqual(before);
  });
});
