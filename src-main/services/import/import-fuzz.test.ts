// Fuzzing the importers (fast-check): random, truncated and malformed files never crash; they import, or
// fail with ApiError('bad_file') naming the file, and then nothing at all was stored.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src-shared/errors';
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

/** Imports the file; a failure must be bad_file naming the file, with every table as it was. */
async function importChecked(fileName: string, bytes: Uint8Array, as?: 'pairs' | 'prompts'): Promise<void> {
  const before = counts();
  try {
    await workbench.data.imports.importFile({ fileName, bytes, as, dataset: `fuzz-${(datasetNumber += 1)}` });
    outcomes.imported += 1;
  } catch (error) {
    outcomes.refused += 1;
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    if (apiError.code === 'invalid_input') {
      // A prompt list cannot become a dataset: refused before anything is stored.
      expect(apiError.message).toBe(`${fileName}: a dataset needs pairs, and this file holds prompts`);
    } else {
      expect(apiError.code).toBe('bad_file');
      expect(apiError.message.startsWith(`${fileName}`)).toBe(true);
    }
    expect(counts()).toEqual(before);
  }
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
});
