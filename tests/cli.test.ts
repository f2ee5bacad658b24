// The command line's contract: help lists the commands, and a bad option fails with a one-line reason.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/index.ts', ...args], {
    encoding: 'utf8',
  });
}

describe('dpo-workbench CLI', () => {
  it('lists its commands in --help and exits 0', () => {
    const result = cli('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: dpo-workbench/);
    expect(result.stdout).toContain('serve [options]');
  });

  it('reports the device, and explains how to get CUDA when it is asked for and missing', () => {
    const cpu = cli('device', '--device', 'cpu');
    expect([cpu.status, cpu.stdout]).toEqual([0, 'device: cpu\n']);
    const cuda = cli('device', '--device', 'cuda');
    if (cuda.status === 0) expect(cuda.stdout).toBe('device: cuda\n');
    else
      expect(cuda.stderr.trim().split('\n').at(-1)).toMatch(
        /^dpo-workbench: CUDA was requested .*npm run setup:cuda/,
      );
  });

  it('refuses a bad port with a reason naming the option, and a non-zero status', () => {
    const result = cli('serve', '--port', 'eighty');
    expect(result.status).not.toBe(0);
    expect(result.stderr.split('\n')[0]).toBe(
      "error: option '--port <n>' argument 'eighty' is invalid. \"eighty\" is not a port (an integer from 0 to 65535)",
    );
    expect(result.stdout).toBe('');
  });
});

describe('dpo-workbench import and export', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpo-cli-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const ROWS = [
    { prompt: 'Capital of France?', chosen: 'Paris.', rejected: 'Lyon.' },
    {
      prompt: [{ role: 'user', content: '2 + 2?' }],
      chosen: [{ role: 'assistant', content: '4' }],
      rejected: [{ role: 'assistant', content: '5' }],
    },
  ];

  it('imports a file as a dataset, exports it, and the export imports unchanged into a fresh data folder', () => {
    const work = tempDir();
    const file = path.join(work, 'prefs.jsonl');
    writeFileSync(file, ROWS.map((row) => JSON.stringify(row)).join('\n'));
    const first = path.join(work, 'first');
    const imported = cli('import', '--data-dir', first, file, '--dataset', 'prefs');
    expect([imported.status, imported.stderr]).toEqual([0, '']);
    expect(imported.stdout).toBe(
      `imported 2 new pairs from ${file} (trl-standard: 2 rows, 0 already stored or repeated); ` +
        `dataset "prefs" (id 1: 2 pairs, 2 train / 0 eval)\n`,
    );
    const again = cli('import', '--data-dir', first, file, '--dataset', 'held', '--eval-fraction', '0.5');
    expect(again.stdout).toMatch(
      /0 new pairs .*2 already stored.*dataset "held" \(id 2: 2 pairs, 1 train \/ 1 eval\)/,
    );
    const out = path.join(work, 'out.jsonl');
    const exported = cli(
      'export',
      '--data-dir',
      first,
      '--dataset',
      'prefs',
      '--format',
      'trl-conversational',
      '--out',
      out,
    );
    expect([exported.status, exported.stdout]).toEqual([
      0,
      `wrote 2 rows of dataset "prefs" to ${out} (trl-conversational)\n`,
    ]);
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines[1]).toEqual(ROWS[1]);
    const second = path.join(work, 'second');
    expect(cli('import', '--data-dir', second, out, '--dataset', 'copy').status).toBe(0);
    const csv = path.join(work, 'copy.csv');
    expect(
      cli('export', '--data-dir', second, '--dataset', 'copy', '--format', 'csv', '--out', csv).status,
    ).toBe(0);
    expect(readFileSync(csv, 'utf8')).toBe(
      'prompt,chosen,rejected,weight,split\nCapital of France?,Paris.,Lyon.,1,train\n2 + 2?,4,5,1,train\n',
    );
  });

  it('refuses a bad file with one line naming file, line and field, and stores nothing', () => {
    const work = tempDir();
    const file = path.join(work, 'bad.jsonl');
    writeFileSync(file, `${JSON.stringify(ROWS[0])}\n{"prompt":"p","chosen":"c","rejected":7}\n`);
    const dataDir = path.join(work, 'data');
    const result = cli('import', '--data-dir', dataDir, file, '--dataset', 'bad');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `dpo-workbench: ${file} line 2: field "rejected" must be a string, got a number\n`,
    );
    const exported = cli(
      'export',
      '--data-dir',
      dataDir,
      '--dataset',
      'bad',
      '--format',
      'trl',
      '--out',
      path.join(work, 'x'),
    );
    expect([exported.status, exported.stderr]).toEqual([1, 'dpo-workbench: no dataset named "bad"\n']);
  });

  it('refuses a dataset name the API refuses (empty, over 100 characters), and an export into /proc', () => {
    const work = tempDir();
    const file = path.join(work, 'pairs.jsonl');
    writeFileSync(file, `${JSON.stringify(ROWS[0])}\n`);
    const empty = cli('import', '--data-dir', work, file, '--dataset', '');
    expect([empty.status, empty.stderr]).toEqual([1, 'dpo-workbench: dataset name: must not be empty\n']);
    const long = cli('import', '--data-dir', work, file, '--dataset', 'n'.repeat(100_000));
    expect([long.status, long.stderr.split('\n').length]).toEqual([1, 2]);
    expect(long.stderr).toMatch(/^dpo-workbench: dataset name: .*100/);
    const proc = cli(
      'export',
      '--data-dir',
      work,
      '--dataset',
      'd',
      '--format',
      'trl',
      '--out',
      '/proc/self/x/y',
    );
    expect([proc.status, proc.stderr]).toEqual([
      1,
      'dpo-workbench: --out: /proc/self/x is inside /proc, a system folder; choose a folder of yours\n',
    ]);
  });

  it('refuses an unknown format and a missing file with a one-line reason', () => {
    const work = tempDir();
    const format = cli('export', '--data-dir', work, '--dataset', 'd', '--format', 'xlsx', '--out', 'x');
    expect(format.status).not.toBe(0);
    expect(format.stderr.split('\n')[0]).toContain(
      '--format must be one of trl, trl-conversational, csv, parquet; got "xlsx"',
    );
    const missing = cli('import', '--data-dir', work, path.join(work, 'none.jsonl'));
    expect([missing.status, missing.stderr]).toEqual([
      1,
      `dpo-workbench: cannot read ${path.join(work, 'none.jsonl')}: no such file\n`,
    ]);
  });
});
