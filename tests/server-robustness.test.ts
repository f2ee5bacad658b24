// `serve` as a real process under requests that once stalled it: a bundle into /proc fails fast and the next
// request answers within 100 ms, a body over the limit gets 413 before it is sent, SIGTERM ends it in 2 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES } from '../src-shared/api';

let dataDir: string;
let server: ChildProcess;
let base: string;

async function call(method: string, input: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'serve-robust-'));
  server = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/index.ts', 'serve', '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  base = await new Promise<string>((resolve, reject) => {
    let seen = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const url = /is serving (http:\/\/\S+\/)/.exec(seen)?.[1];
      if (url) resolve(url);
    });
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${seen}`)));
  });
  const rows = [1, 2, 3].map((i) => JSON.stringify({ prompt: `Q${i}`, chosen: 'yes', rejected: 'no' }));
  const imported = await call('importFile', {
    fileName: 'pairs.jsonl',
    content: rows.join('\n'),
    dataset: 'small',
  });
  expect(imported.status).toBe(200);
}, 60_000);

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('serve under hostile requests', () => {
  it('refuses a bundle into /proc at once, with the path named, and answers the next request within 100 ms', async () => {
    const datasetId = ((await call('listDatasets', {})).body as Array<{ id: number }>)[0]!.id;
    const started = performance.now();
    const bundle = await call('exportClusterBundle', { datasetId, outDir: '/proc/self/x' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(bundle).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid_input',
          message: 'outDir: /proc/self/x is inside /proc, a system folder; choose a folder of yours',
        },
      },
    });
    const next = performance.now();
    expect((await call('getAppInfo', {})).status).toBe(200);
    expect(performance.now() - next).toBeLessThan(100);
  });

  /** getAppInfo latencies (ms) measured, one after another, until `work` settles. */
  async function latenciesDuring(work: Promise<unknown>): Promise<number[]> {
    let done = false;
    void work.finally(() => {
      done = true;
    });
    const latencies: number[] = [];
    while (!done) {
      const started = performance.now();
      expect((await call('getAppInfo', {})).status).toBe(200);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return latencies;
  }

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

  it('keeps answering during a large import, dataset build and export (each in a worker thread)', async () => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(12);
    const rows = Array.from({ length: 30_000 }, (_, i) =>
      JSON.stringify({ prompt: `P${i} ${filler}`, chosen: `yes ${i} ${filler}`, rejected: `no ${i}` }),
    );
    const importing = call('importFile', { fileName: 'big.jsonl', content: rows.join('\n') }); // ~20 MB
    // In the event loop, the import answered 1 request at best before it finished; on 2 shared cores a
    // worker still competes for CPU, so the median is asserted, not the worst.
    const duringImport = await latenciesDuring(importing);
    expect((await importing).body).toMatchObject({ rows: 30_000, pairsAdded: 30_000 });
    expect(duringImport.length).toBeGreaterThan(3);
    expect(median(duringImport)).toBeLessThan(100);

    const building = call('createDataset', { name: 'big', filters: { includeImported: true } });
    const duringBuild = await latenciesDuring(building);
    const dataset = (await building).body as { id: number; stats: { pairs: number } };
    expect(dataset.stats.pairs).toBe(30_003);
    const exporting = call('exportDataset', { datasetId: dataset.id, format: 'trl' });
    const duringExport = await latenciesDuring(exporting);
    expect((await exporting).body).toMatchObject({ rows: 30_003 });
    expect(median([...duringBuild, ...duringExport])).toBeLessThan(100);
  }, 120_000);

  it('answers 413 to a body declared over the limit before any of it is sent', async () => {
    const { port } = new URL(base);
    const status = await new Promise<number>((resolve, reject) => {
      const sent = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/importPairs',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': MAX_REQUEST_BYTES + 1 },
        },
        (response) => {
          resolve(response.statusCode ?? 0);
          response.resume();
          sent.destroy();
        },
      );
      sent.on('error', reject);
      // Only the headers and 10 bytes go out: an answer proves the server did not wait for the rest.
      sent.write('{"fileName');
    });
    expect(status).toBe(413);
  });

  it('ends within 2 s of SIGTERM', async () => {
    const started = performance.now();
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
