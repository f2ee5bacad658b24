// The headless demo's report: what was measured, printed as markdown tables with a one-line verdict that
// follows from the numbers, and read back by the parser the CI test uses.

export interface Accuracy {
  correct: number;
  total: number;
}

export interface DemoWinRate {
  rate: number;
  low: number;
  high: number;
  n: number;
}

export interface DemoReport {
  model: string;
  trainPrompts: number;
  heldOutPrompts: number;
  samplesPerPrompt: number;
  steps: number;
  /** Pairs the judge rated (correct beats wrong), and the prompts whose samples were all right or all wrong. */
  pairs: { rated: number; train: number; eval: number; allRight: number; allWrong: number };
  greedy: { base: Accuracy; tuned: Accuracy };
  sampled: { base: Accuracy; tuned: Accuracy };
  /** The tuned model's win rate over the base in the blind comparison the judge voted. */
  winRate: DemoWinRate;
  /** The run's last eval rewards/accuracies (share of held-out pairs whose chosen side it prefers). */
  evalPreferenceAccuracy: number | null;
  stages: Array<{ name: string; seconds: number }>;
  ids: { baseModelId: number; tunedModelId: number; datasetId: number; runId: number; comparisonId: number };
}

const share = (a: Accuracy): string =>
  `${a.correct}/${a.total} = ${(a.total === 0 ? 0 : a.correct / a.total).toFixed(3)}`;
const rateOf = (a: Accuracy): number => (a.total === 0 ? 0 : a.correct / a.total);

/**
 * One sentence, from the numbers only. "Improved" / "Worse" need the win rate's interval to leave 0.5;
 * accuracy moving the same way greedy and sampled, with the interval around 0.5, is reported as a trend.
 */
export function verdict(report: DemoReport): string {
  const { greedy, sampled, winRate } = report;
  const delta = (x: { base: Accuracy; tuned: Accuracy }) => rateOf(x.tuned) - rateOf(x.base);
  const moved = (d: number) => (d > 0 ? 'up' : d < 0 ? 'down' : 'unchanged');
  const accuracy =
    `held-out accuracy ${moved(delta(greedy))} greedy (${rateOf(greedy.base).toFixed(3)} -> ` +
    `${rateOf(greedy.tuned).toFixed(3)}) and ${moved(delta(sampled))} sampled ` +
    `(${rateOf(sampled.base).toFixed(3)} -> ${rateOf(sampled.tuned).toFixed(3)})`;
  const interval = `win rate ${winRate.rate.toFixed(3)}, 95% interval ${winRate.low.toFixed(3)}-${winRate.high.toFixed(3)}`;
  if (winRate.low > 0.5) return `Improved: the tuned model wins significantly (${interval}); ${accuracy}.`;
  if (winRate.high < 0.5) return `Worse: the tuned model loses significantly (${interval}); ${accuracy}.`;
  const trend =
    delta(greedy) > 0 && delta(sampled) > 0
      ? 'a trend up, not significant'
      : delta(greedy) < 0 && delta(sampled) < 0
        ? 'a trend down, not significant'
        : 'no clear change';
  return `Not significant: ${trend} (${interval} includes 0.5); ${accuracy}.`;
}

export function formatDemoTable(report: DemoReport): string {
  const w = report.winRate;
  const lines = [
    `Demo: ${report.model}; ${report.trainPrompts} training prompts x ${report.samplesPerPrompt} samples, ` +
      `${report.pairs.rated} judged pairs (${report.pairs.train} train / ${report.pairs.eval} eval; ` +
      `${report.pairs.allRight} prompts all right, ${report.pairs.allWrong} all wrong), ` +
      `${report.steps} DPO steps, ${report.heldOutPrompts} held-out prompts.`,
    '',
    '| measure | base | tuned |',
    '| --- | --- | --- |',
    `| judge accuracy, greedy (held-out) | ${share(report.greedy.base)} | ${share(report.greedy.tuned)} |`,
    `| judge accuracy, sampled (held-out) | ${share(report.sampled.base)} | ${share(report.sampled.tuned)} |`,
    `| win rate, tuned vs base | | ${w.rate.toFixed(3)} (95% Wilson ${w.low.toFixed(3)}-${w.high.toFixed(3)}, n=${w.n}) |`,
    `| eval preference accuracy | | ${report.evalPreferenceAccuracy === null ? 'n/a' : report.evalPreferenceAccuracy.toFixed(3)} |`,
    '',
    '| stage | seconds |',
    '| --- | --- |',
    ...report.stages.map((s) => `| ${s.name} | ${s.seconds.toFixed(1)} |`),
    `| total | ${report.stages.reduce((sum, s) => sum + s.seconds, 0).toFixed(1)} |`,
    '',
    verdict(report),
  ];
  return `${lines.join('\n')}\n`;
}

export interface ParsedDemoTable {
  greedy: { base: number; tuned: number };
  sampled: { base: number; tuned: number };
  winRate: DemoWinRate;
  evalPreferenceAccuracy: number | null;
  stages: Record<string, number>;
  verdict: string;
}

function cells(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('|') || line.startsWith('| ---')) continue;
    const [key, ...rest] = line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
    if (key !== undefined) rows.set(key, rest);
  }
  return rows;
}

function accuracyCell(value: string | undefined, what: string): number {
  const match = /^(\d+)\/(\d+) = ([\d.]+)$/.exec(value ?? '');
  if (!match) throw new Error(`demo table: ${what} is "${value}", not "k/n = x"`);
  return Number(match[3]);
}

/** Reads a printed report back; throws naming the row that does not parse. */
export function parseDemoTable(text: string): ParsedDemoTable {
  const rows = cells(text);
  const row = (key: string): string[] => {
    const found = rows.get(key);
    if (!found) throw new Error(`demo table: no "${key}" row`);
    return found;
  };
  const pair = (key: string) => {
    const [base, tuned] = row(key);
    return { base: accuracyCell(base, `${key} (base)`), tuned: accuracyCell(tuned, `${key} (tuned)`) };
  };
  const winCell = row('win rate, tuned vs base')[1] ?? '';
  const win = /^([\d.]+) \(95% Wilson ([\d.]+)-([\d.]+), n=(\d+)\)$/.exec(winCell);
  if (!win) throw new Error(`demo table: win rate is "${winCell}"`);
  const prefCell = row('eval preference accuracy')[1] ?? '';
  if (prefCell !== 'n/a' && !/^[\d.]+$/.test(prefCell))
    throw new Error(`demo table: eval preference accuracy is "${prefCell}"`);
  const stages: Record<string, number> = {};
  const stageStart = text.indexOf('| stage | seconds |');
  for (const [name, [seconds]] of cells(text.slice(stageStart)))
    if (name !== 'stage') stages[name] = Number(seconds);
  const verdictLine = text.trimEnd().split('\n').at(-1) ?? '';
  if (!/^(Improved|Worse|Not significant): /.test(verdictLine))
    throw new Error(`demo table: the last line is not a verdict: "${verdictLine}"`);
  return {
    greedy: pair('judge accuracy, greedy (held-out)'),
    sampled: pair('judge accuracy, sampled (held-out)'),
    winRate: { rate: Number(win[1]), low: Number(win[2]), high: Number(win[3]), n: Number(win[4]) },
    evalPreferenceAccuracy: prefCell === 'n/a' ? null : Number(prefCell),
    stages,
    verdict: verdictLine,
  };
}
