// The headless demo in its reduced size (--quick): it runs the whole loop on the embedded tiny model, prints
// a table that parses with numbers that hang together, and leaves the run in the data folder for the app.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDemoTable } from '../src-main/services/demo/demo-table';
import { openWorkbench } from '../src-main/services/open-workbench';

const root = path.resolve(import.meta.dirname, '..');

function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/index.ts', ...args], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const inUnit = (x: number) => x >= 0 && x <= 1;

describe('npm run demo -- --quick', () => {
  it('runs the loop, prints a table that parses, and leaves the run in the data folder', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-demo-'));
    try {
      const result = await runCli(['demo', '--quick', '--data-dir', dataDir]);
      expect(result.status, result.stderr).toBe(0);
      const table = parseDemoTable(result.stdout);
      for (const x of [table.greedy.base, table.greedy.tuned, table.sampled.base, table.sampled.tuned])
        expect(inUnit(x)).toBe(true);
      const { rate, low, high, n } = table.winRate;
      expect(low).toBeLessThanOrEqual(rate);
      expect(rate).toBeLessThanOrEqual(high);
      expect(n).toBeGreaterThan(0);
      expect(Object.keys(table.stages)).toEqual([
        'sample and judge',
        'dataset',
        'train',
        'evaluate greedy',
        'compare (blind, judged)',
        'total',
      ]);
      // What the app shows: the judge's ratings, a dataset, a finished run with its tuned model, a
      // revealed comparison whose win rate is the printed one.
      const workbench = openWorkbench({ dataDir, transport: 'http' });
      try {
        const api = workbench.services;
        const judge = (await api.listAnnotators({})).find((a) => a.name === 'demo-judge');
        expect(judge).toBeDefined();
        const [run] = await api.listRuns({ limit: 10 });
        expect(run?.status).toBe('completed');
        expect(run?.outputModelId).not.toBeNull();
        const [comparison] = await api.listComparisons({ limit: 10 });
        expect(comparison?.status).toBe('revealed');
        expect(comparison?.result?.rate.toFixed(3)).toBe(rate.toFixed(3));
        expect((await api.listDatasets({})).length).toBe(1);
      } finally {
        workbench.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
