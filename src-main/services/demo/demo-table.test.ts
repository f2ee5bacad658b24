// The demo's report: printed and read back to the same numbers, base and every round, and a verdict that
// follows from the last round's numbers (improved only when the interval says so; never asserted).
import { describe, expect, it } from 'vitest';
import { formatDemoTable, parseDemoTable, verdict, type DemoReport, type DemoRound } from './demo-table';

function round(r: number, overrides: Partial<DemoRound> = {}): DemoRound {
  return {
    round: r,
    pairs: { rated: 80, train: 64 * r, eval: 16 * r, allRight: 10, allWrong: 5 },
    reached: { correct: 17 + r, total: 32 },
    greedy: { correct: 15, total: 32 },
    sampled: { correct: 101, total: 192 },
    baseSampled: { correct: 90, total: 192 },
    winRate: { rate: 0.56, low: 0.49, high: 0.63, n: 192 },
    evalPreferenceAccuracy: 0.8125,
    kl: { kl: 1.5 * r, stderr: 0.25, n: 128 },
    ids: { tunedModelId: r + 1, datasetId: r, runId: r, comparisonId: r },
    ...overrides,
  };
}

function report(rounds: DemoRound[] = [round(1)]): DemoReport {
  return {
    model: 'tiny (embedded)',
    method: 'dpo',
    trainPrompts: 64,
    heldOutPrompts: 32,
    samplesPerPrompt: 6,
    steps: 60,
    base: { greedy: { correct: 12, total: 32 }, sampled: { correct: 90, total: 192 } },
    rounds,
    stages: [
      { name: 'round 1: sample and judge', seconds: 40.04 },
      { name: 'round 1: train', seconds: 100.5 },
    ],
    baseModelId: 1,
  };
}

describe('demo table', () => {
  it('parses back to the printed numbers, one column per round', () => {
    const two = report([
      round(1),
      round(2, { greedy: { correct: 20, total: 32 }, evalPreferenceAccuracy: null }),
    ]);
    const parsed = parseDemoTable(formatDemoTable(two));
    expect(parsed.base).toEqual({ greedy: { correct: 12, total: 32 }, sampled: { correct: 90, total: 192 } });
    expect(parsed.rounds).toHaveLength(2);
    expect(parsed.rounds[0]).toEqual({
      reached: { correct: 18, total: 32 },
      greedy: { correct: 15, total: 32 },
      sampled: { correct: 101, total: 192 },
      winRate: { rate: 0.56, low: 0.49, high: 0.63, n: 192 },
      evalPreferenceAccuracy: 0.813,
      kl: 1.5,
    });
    expect(parsed.rounds[1]?.greedy).toEqual({ correct: 20, total: 32 });
    expect(parsed.rounds[1]?.evalPreferenceAccuracy).toBe(null);
    expect(parsed.rounds[1]?.kl).toBe(3);
    expect(parsed.rounds[1]?.reached).toEqual({ correct: 19, total: 32 });
    expect(parsed.stages).toEqual({ 'round 1: sample and judge': 40, 'round 1: train': 100.5, total: 140.5 });
  });

  it('judges the last round: improved or worse only when the interval leaves 0.5, and a trend otherwise', () => {
    expect(verdict(report())).toMatch(
      /^Not significant: a trend up, not significant \(win rate 0.560, 95% interval 0.490-0.630 includes 0.5\)/,
    );
    const worse = round(1, {
      greedy: { correct: 10, total: 32 },
      winRate: { rate: 0.4, low: 0.33, high: 0.47, n: 192 },
    });
    expect(verdict(report([worse]))).toMatch(/^Worse: round 1 loses significantly .*accuracy down greedy/);
    const flat = round(1, { greedy: { correct: 12, total: 32 } });
    expect(verdict(report([flat]))).toMatch(/^Not significant: no clear change/);
    const significant = round(2, { winRate: { rate: 0.62, low: 0.55, high: 0.69, n: 192 } });
    expect(verdict(report([round(1), significant]))).toMatch(/^Improved: round 2 wins significantly/);
  });

  it('names the row that does not parse', () => {
    const text = formatDemoTable(report()).replace('12/32 = 0.375', 'twelve');
    expect(() => parseDemoTable(text)).toThrow(/base greedy is "twelve"/);
    expect(() => parseDemoTable('| measure | base | round 1 |\n| stage | seconds |\n')).toThrow(
      /no "win rate vs base \(blind, judged\)" row/,
    );
  });
});
