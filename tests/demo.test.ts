// The headless demo in its reduced size (--quick, two rounds): it runs the whole loop on the embedded tiny
// model and prints a table whose numbers are recomputed here from what it left in the data folder: the
// stored samples judged again, the stored votes counted again, the runs' logged metrics, the lineage.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { winRate } from '../src-shared/win-rate';
import { judgeAnswer } from '../src-main/models/tiny/corpus';
import { demoPrompts } from '../src-main/services/demo/demo-prompts';
import { parseDemoTable } from '../src-main/services/demo/demo-table';
import { DEMO_QUICK } from '../src-main/services/demo/run-demo';
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

describe('npm run demo -- --quick', () => {
  it('prints per-round numbers that the stored samples, votes and runs reproduce', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpo-demo-'));
    try {
      const result = await runCli(['demo', '--quick', '--data-dir', dataDir]);
      expect(result.status, result.stderr).toBe(0);
      const table = parseDemoTable(result.stdout);
      expect(table.rounds).toHaveLength(DEMO_QUICK.rounds);
      const facts = demoPrompts(DEMO_QUICK.trainPrompts, DEMO_QUICK.heldOutPrompts, DEMO_QUICK.seed);
      const byQuestion = new Map(facts.heldOut.map((f) => [f.question, f]));
      const workbench = openWorkbench({ dataDir, transport: 'http' });
      try {
        const api = workbench.services;
        expect((await api.listAnnotators({})).map((a) => a.name)).toContain('demo-judge');
        const runs = (await api.listRuns({ limit: 10 })).sort((a, b) => a.id - b.id);
        const comparisons = (await api.listComparisons({ limit: 10 })).sort((a, b) => a.id - b.id);
        expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
        // The lineage: round 2 trains from round 1's version, round 1 from the base.
        expect(runs[1]?.baseModelId).toBe(runs[0]?.outputModelId);
        for (const [i, printed] of table.rounds.entries()) {
          const run = runs[i]!;
          const detail = await api.getRun({ runId: run.id });
          const accuracies = detail.metrics.eval.find((s) => s.name === 'eval_rewards/accuracies');
          const logged = accuracies?.values.at(-1);
          if (printed.evalPreferenceAccuracy === null) expect(logged ?? null).toBe(null);
          else expect(printed.evalPreferenceAccuracy).toBeCloseTo(logged as number, 3);
          // The comparison of this round's version against the base, judged again from its stored outputs.
          const shown = await api.getComparison({ comparisonId: comparisons[i]!.id });
          expect(shown.models?.b.id).toBe(run.outputModelId);
          const counts = { wins: 0, losses: 0, ties: 0, bothBad: 0 };
          let [baseRight, tunedRight] = [0, 0];
          for (const item of shown.itemList) {
            const fact = byQuestion.get(item.prompt)!;
            expect(fact, `${item.prompt} is a held-out question`).toBeDefined();
            const [a, b] = item.leftModel === 'a' ? [item.left!, item.right!] : [item.right!, item.left!];
            const [aRight, bRight] = [judgeAnswer(fact, a), judgeAnswer(fact, b)];
            baseRight += Number(aRight);
            tunedRight += Number(bRight);
            if (aRight && bRight) counts.ties += 1;
            else if (!aRight && !bRight) counts.bothBad += 1;
            else if (bRight) counts.wins += 1;
            else counts.losses += 1;
            // The stored vote is the judge's vote on these outputs.
            const leftRight = item.leftModel === 'a' ? aRight : bRight;
            const rightRight = item.leftModel === 'a' ? bRight : aRight;
            const expected =
              leftRight && rightRight
                ? 'tie'
                : !leftRight && !rightRight
                  ? 'both_bad'
                  : leftRight
                    ? 'left'
                    : 'right';
            expect(item.vote).toBe(expected);
          }
          const recomputed = winRate(counts);
          expect(printed.winRate.n).toBe(recomputed.n);
          expect(printed.winRate.rate).toBeCloseTo(recomputed.rate, 3);
          expect(printed.winRate.low).toBeCloseTo(recomputed.low, 3);
          expect(printed.winRate.high).toBeCloseTo(recomputed.high, 3);
          expect(printed.sampled).toEqual({ correct: tunedRight, total: shown.itemList.length });
          expect(table.base.sampled).toEqual({ correct: baseRight, total: shown.itemList.length });
          expect(Number.isFinite(printed.kl)).toBe(true);
        }
        // Held-out prompts never reach training: no dataset row asks a held-out question.
        const db = new Database(workbench.dbPath, { readonly: true });
        try {
          const trained = db
            .prepare<[], { text: string }>(
              `SELECT DISTINCT pr.text FROM dataset_pairs dp JOIN pairs p ON p.id = dp.pair_id
                 JOIN prompts pr ON pr.id = p.prompt_id`,
            )
            .all()
            .map((r) => r.text);
          expect(trained.length).toBeGreaterThan(0);
          expect(trained.filter((q) => byQuestion.has(q))).toEqual([]);
          // Held-out facts reached: those some stored training sample (every round's) answers right.
          const trainFacts = new Map(facts.train.map((f) => [f.question, f]));
          const reached = new Set(
            db
              .prepare<[], { prompt: string; text: string }>(
                'SELECT pr.text AS prompt, c.text FROM candidates c JOIN prompts pr ON pr.id = c.prompt_id',
              )
              .all()
              .filter((c) => trainFacts.has(c.prompt) && judgeAnswer(trainFacts.get(c.prompt)!, c.text))
              .map((c) => trainFacts.get(c.prompt)!.answer),
          );
          const heldOutReached = facts.heldOut.filter((f) => reached.has(f.answer)).length;
          expect(table.rounds.at(-1)?.reached).toEqual({
            correct: heldOutReached,
            total: facts.heldOut.length,
          });
          expect(table.rounds[0]!.reached.correct).toBeLessThanOrEqual(heldOutReached);
        } finally {
          db.close();
        }
      } finally {
        workbench.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
