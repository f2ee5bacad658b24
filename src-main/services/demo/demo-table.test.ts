// The demo's report: printed and read back to the same numbers, and a verdict that follows from them
// (improved only when the interval or both accuracies say so; never asserted).
import { describe, expect, it } from 'vitest';
import { formatDemoTable, parseDemoTable, verdict, type DemoReport } from './demo-table';

function report(overrides: Partial<DemoReport> = {}): DemoReport {
  return {
    model: 'tiny (embedded)',
    trainPrompts: 64,
    heldOutPrompts: 32,
    samplesPerPrompt: 6,
    steps: 60,
    pairs: { rated: 80, train: 64, eval: 16, allRight: 10, allWrong: 5 },
    greedy: { base: { correct: 12, total: 32 }, tuned: { correct: 15, total: 32 } },
    sampled: { base: { correct: 90, total: 192 }, tuned: { correct: 101, total: 192 } },
    winRate: { rate: 0.56, low: 0.49, high: 0.63, n: 192 },
    evalPreferenceAccuracy: 0.8125,
    stages: [
      { name: 'sample and judge', seconds: 40.04 },
      { name: 'train', seconds: 100.5 },
    ],
    ids: { baseModelId: 1, tunedModelId: 2, datasetId: 1, runId: 1, comparisonId: 1 },
    ...overrides,
  };
}

describe('demo table', () => {
  it('parses back to the printed numbers', () => {
    const parsed = parseDemoTable(formatDemoTable(report()));
    expect(parsed.greedy).toEqual({ base: 0.375, tuned: 0.469 });
    expect(parsed.sampled).toEqual({ base: 0.469, tuned: 0.526 });
    expect(parsed.winRate).toEqual({ rate: 0.56, low: 0.49, high: 0.63, n: 192 });
    expect(parsed.evalPreferenceAccuracy).toBe(0.813);
    expect(parsed.stages).toEqual({ 'sample and judge': 40, train: 100.5, total: 140.5 });
    expect(
      parseDemoTable(formatDemoTable(report({ evalPreferenceAccuracy: null }))).evalPreferenceAccuracy,
    ).toBe(null);
  });

  it('says improved or worse only when the interval leaves 0.5, and a trend otherwise', () => {
    expect(verdict(report())).toMatch(
      /^Not significant: a trend up, not significant \(win rate 0.560, 95% interval 0.490-0.630 includes 0.5\)/,
    );
    const worse = report({
      greedy: { base: { correct: 15, total: 32 }, tuned: { correct: 12, total: 32 } },
      winRate: { rate: 0.4, low: 0.33, high: 0.47, n: 192 },
    });
    expect(verdict(worse)).toMatch(/^Worse: the tuned model loses significantly .*accuracy down greedy/);
    const flat = report({ greedy: { base: { correct: 12, total: 32 }, tuned: { correct: 12, total: 32 } } });
    expect(verdict(flat)).toMatch(/^Not significant: no clear change/);
    const significant = report({ winRate: { rate: 0.62, low: 0.55, high: 0.69, n: 192 } });
    expect(verdict(significant)).toMatch(/^Improved: the tuned model wins significantly/);
  });

  it('names the row that does not parse', () => {
    const text = formatDemoTable(report()).replace('12/32 = 0.375', 'twelve');
    expect(() => parseDemoTable(text)).toThrow(/judge accuracy, greedy \(held-out\) \(base\) is "twelve"/);
    expect(() => parseDemoTable('| measure | base | tuned |\n')).toThrow(/no "win rate, tuned vs base" row/);
  });
});
