// One contract suite, run through both transports: the same calls give the same results and errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWorkbench, type Workbench } from '../../src-main/services/open-workbench';
import { ipcTransport, rejection, TRANSPORTS, type TestTransport } from './transports';

const PAIRS = [
  { prompt: 'Capital of France?', chosen: 'Paris.', rejected: 'Lyon.' },
  { prompt: '2 + 2?', chosen: '4', rejected: '5' },
  { prompt: 'Largest ocean?', chosen: 'The Pacific.', rejected: 'The Atlantic.' },
];
const JSONL = PAIRS.map((row) => JSON.stringify(row)).join('\n');

describe.each(TRANSPORTS)('API contract over %s', (_name, makeTransport) => {
  let dataDir: string;
  let workbench: Workbench;
  let transport: TestTransport;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-contract-'));
    // Candidate a (the file's chosen) always on the left, so screen choices map predictably.
    workbench = openWorkbench({ dataDir, transport: 'http', aOnLeft: () => true });
    transport = await makeTransport(workbench);
  });

  afterEach(async () => {
    await transport.close();
    workbench.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function defaultAnnotator(): Promise<number> {
    const annotators = await transport.client.listAnnotators({});
    expect(annotators.map((a) => a.name)).toEqual(['me']);
    return annotators[0]!.id;
  }

  it('imports pairs, serves them in order, records ratings and undoes the last one', async () => {
    const annotatorId = await defaultAnnotator();
    const imported = await transport.client.importPairs({ fileName: 'pairs.jsonl', content: JSONL });
    expect(imported).toEqual({
      fileName: 'pairs.jsonl',
      rows: 3,
      pairsAdded: 3,
      duplicatesSkipped: 0,
      identicalSkipped: 0,
    });

    const first = await transport.client.nextPair({ annotatorId });
    expect(first).toMatchObject({
      prompt: 'Capital of France?',
      left: { text: 'Paris.' },
      right: { text: 'Lyon.' },
    });
    const rated = await transport.client.submitRating({
      annotatorId,
      pairId: first!.pairId,
      leftCandidateId: first!.left.candidateId,
      choice: 'right',
      strength: 3,
      note: ' surprising ',
      timeSpentMs: 1234,
    });
    expect(rated.progress).toEqual({ rated: 1, skipped: 0, remaining: 2, total: 3 });

    const [summary] = await transport.client.listRatings({ annotatorId });
    // "right" was Lyon, which is candidate b of the pair.
    expect(summary).toMatchObject({
      choice: 'b',
      shownChoice: 'right',
      strength: 3,
      note: 'surprising',
      timeSpentMs: 1234,
    });

    const second = await transport.client.nextPair({ annotatorId });
    expect(second!.prompt).toBe('2 + 2?');
    await transport.client.submitRating({
      annotatorId,
      pairId: second!.pairId,
      leftCandidateId: second!.left.candidateId,
      choice: 'tie',
      strength: 2,
      timeSpentMs: 10,
    });
    const undone = await transport.client.undoRating({ annotatorId });
    expect(undone).toEqual({
      undonePairId: second!.pairId,
      pair: second,
      progress: { rated: 1, skipped: 0, remaining: 2, total: 3 },
    });
    expect((await transport.client.nextPair({ annotatorId }))!.pairId).toBe(second!.pairId);
    // Strength means nothing for a tie: it is not stored.
    expect((await transport.client.listRatings({ annotatorId })).map((r) => r.choice)).toEqual(['b']);
  });

  it('counts a re-import as duplicates and keeps every pair once', async () => {
    await transport.client.importPairs({ fileName: 'a.jsonl', content: JSONL });
    const again = await transport.client.importPairs({ fileName: 'b.jsonl', content: JSONL });
    expect(again).toMatchObject({ pairsAdded: 0, duplicatesSkipped: 3 });
    const annotatorId = await defaultAnnotator();
    expect(await transport.client.getRatingProgress({ annotatorId })).toEqual({
      rated: 0,
      skipped: 0,
      remaining: 3,
      total: 3,
    });
  });

  it('refuses a malformed file with its line and field, storing nothing from it', async () => {
    const bad = `${JSONL}\n{"prompt":"p","chosen":"c","rejected":7}`;
    const error = await rejection(transport.client.importPairs({ fileName: 'bad.jsonl', content: bad }));
    expect(error.code).toBe('bad_file');
    expect(error.message).toBe('bad.jsonl line 4: field "rejected" must be a string, got a number');
    const annotatorId = await defaultAnnotator();
    expect(await transport.client.getRatingProgress({ annotatorId })).toEqual({
      rated: 0,
      skipped: 0,
      remaining: 0,
      total: 0,
    });
  });

  it('refuses NUL characters and unpaired surrogates by field and line, and counts rows with chosen = rejected apart', async () => {
    const lone = `${JSONL}\n{"prompt":"p","chosen":"c\\ud800","rejected":"r"}`;
    const surrogate = await rejection(transport.client.importPairs({ fileName: 'x.jsonl', content: lone }));
    expect([surrogate.code, surrogate.message]).toEqual([
      'bad_file',
      'x.jsonl line 4: field chosen: an unpaired surrogate (invalid Unicode) at column 2',
    ]);
    // Sent as a string (not escaped in the file), the same character is refused before the import.
    const raw = await rejection(
      transport.raw('importPairs', { fileName: 'x.jsonl', content: `${JSONL}\n{"prompt":"\ud800"}` }),
    );
    expect([raw.code, raw.message]).toEqual([
      'invalid_input',
      'importPairs: content: an unpaired surrogate (invalid Unicode) at line 4, column 12',
    ]);
    const nul = await rejection(transport.raw('createAnnotator', { name: 'a\u0000b' }));
    expect([nul.code, nul.message]).toEqual([
      'invalid_input',
      'createAnnotator: name: a NUL character at column 2',
    ]);
    const same = `${JSONL}\n{"prompt":"p","chosen":"same","rejected":"same"}`;
    expect(await transport.client.importPairs({ fileName: 'same.jsonl', content: same })).toEqual({
      fileName: 'same.jsonl',
      rows: 4,
      pairsAdded: 3,
      duplicatesSkipped: 0,
      identicalSkipped: 1,
    });
  });

  it('refuses a wrong type and names the field', async () => {
    const error = await rejection(
      transport.raw('submitRating', {
        annotatorId: 1,
        pairId: 'x',
        leftCandidateId: 1,
        choice: 'maybe',
        timeSpentMs: 1,
      }),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.message).toMatch(/^submitRating: /);
    expect(error.message).toContain('pairId:');
    expect(error.message).toContain('choice:');
    if ('status' in error) expect(error.status).toBe(400);
  });

  it('refuses an unknown method, annotator or pair, and a second live rating of one pair', async () => {
    expect((await rejection(transport.raw('dropTables', {}))).code).toBe('not_found');
    expect((await rejection(transport.client.nextPair({ annotatorId: 999 }))).message).toBe(
      'annotatorId: no annotator with id 999',
    );
    await transport.client.importPairs({ fileName: 'a.jsonl', content: JSONL });
    const annotatorId = await defaultAnnotator();
    const pair = (await transport.client.nextPair({ annotatorId }))!;
    const rating = {
      annotatorId,
      pairId: pair.pairId,
      leftCandidateId: pair.left.candidateId,
      choice: 'left' as const,
      timeSpentMs: 5,
    };
    await transport.client.submitRating(rating);
    const conflict = await rejection(transport.client.submitRating(rating));
    expect(conflict.code).toBe('conflict');
    const foreign = await rejection(transport.client.submitRating({ ...rating, leftCandidateId: 99_999 }));
    expect(foreign.message).toBe(`leftCandidateId: 99999 is not a candidate of pair ${pair.pairId}`);
  });

  it('reports the engine device: the CPU when asked, and a reason whenever auto falls back', async () => {
    expect(await transport.client.getDevice({ request: 'cpu' })).toEqual({
      requested: 'cpu',
      device: 'cpu',
      reason: null,
    });
    const auto = await transport.client.getDevice({});
    expect(auto.requested).toBe('auto');
    if (auto.device === 'cpu') expect(auto.reason).toMatch(/^CUDA unavailable, running on CPU/);
    else expect(auto.reason).toBeNull();
  });

  it('creates annotators and refuses a duplicate name', async () => {
    const ana = await transport.client.createAnnotator({ name: '  Ana ' });
    expect(ana.name).toBe('Ana');
    expect((await rejection(transport.client.createAnnotator({ name: 'ana' }))).code).toBe('conflict');
    expect((await rejection(transport.client.createAnnotator({ name: '' }))).message).toContain(
      'name: must not be empty',
    );
  });
});

describe('IPC transport', () => {
  it('registers one channel per method and refuses frames that are not our renderer', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-ipc-'));
    const workbench = openWorkbench({ dataDir, transport: 'ipc' });
    try {
      const trusted = ipcTransport(workbench);
      expect(trusted.channels).toContain('api:submitRating');
      await trusted.close();
      const foreign = ipcTransport(workbench, 'https://example.invalid/');
      const error = await rejection(foreign.client.listAnnotators({}));
      expect(error.code).toBe('forbidden');
      await foreign.close();
    } finally {
      workbench.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
