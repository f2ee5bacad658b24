// The headless demo's report: what was measured, base and every round side by side, printed as markdown
// tables with a one-line verdict that follows from the numbers, and read back by the parser the CI test uses.

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

export interface DemoKl {
  /** Mean over samples of the summed log-ratio log p_version - log p_base, in nats. */
  kl: number;
  stderr: number;
  n: number;
}

/** One round of on-policy training: its data, its tuned version and that version measured on held-out prompts. */
export interface DemoRound {
  round: number;
  /** Pairs the judge rated this round, the round's dataset (every judged pair so far), and its prompts' mix. */
  pairs: { rated: number; train: number; eval: number; allRight: number; allWrong: number };
  /**
   * Held-out questions whose fact some training sample (this round or earlier, in another phrasing) answered
   * right: the judge can teach only those, so it bounds what rating can add (arithmetic has one phrasing).
   */
  reached: Accuracy;
  greedy: Accuracy;
  /** The version's samples in the blind comparison, judged. */
  sampled: Accuracy;
  /** The base's samples in the same comparison (same seed every round). */
  baseSampled: Accuracy;
  /** The version's win rate over the base in the blind comparison the judge voted. */
  winRate: DemoWinRate;
  /** The run's last eval rewards/accuracies (share of held-out pairs whose chosen side it prefers). */
  evalPreferenceAccuracy: number | null;
  kl: DemoKl;
  ids: { tunedModelId: number; datasetId: number; runId: number; comparisonId: number };
}

export interface DemoReport {
  model: string;
  method: string;
  trainPrompts: number;
  heldOutPrompts: number;
  samplesPerPrompt: number;
  steps: number;
  base: { greedy: Accuracy; sampled: Accuracy };
  rounds: DemoRound[];
  stages: Array<{ name: string; seconds: number }>;
  baseModelId: number;
}

const share = (a: Accuracy): string =>
  `${a.correct}/${a.total} = ${(a.total === 0 ? 0 : a.correct / a.total).toFixed(3)}`;
const rateOf = (a: Accuracy): number => (a.total === 0 ? 0 : a.correct / a.total);

/**
 * One sentence about the last round, from the numbers only. "Improved" / "Worse" need the win rate's interval
 * to leave 0.5; accuracy moving the same way greedy and sampled, with the interval around 0.5, is a trend.
 */
export function verdict(report: DemoReport): string {
  const last = report.rounds.at(-1);
  if (!last) return 'Not significant: no round was trained.';
  const { winRate } = last;
  const dGreedy = rateOf(last.greedy) - rateOf(report.base.greedy);
  const dSampled = rateOf(last.sampled) - rateOf(report.base.sampled);
  const moved = (d: number) => (d > 0 ? 'up' : d < 0 ? 'down' : 'unchanged');
  const accuracy =
    `held-out accuracy ${moved(dGreedy)} greedy (${rateOf(report.base.greedy).toFixed(3)} -> ` +
    `${rateOf(last.greedy).toFixed(3)}) and ${moved(dSampled)} sampled ` +
    `(${rateOf(report.base.sampled).toFixed(3)} -> ${rateOf(last.sampled).toFixed(3)})`;
  const interval = `win rate ${winRate.rate.toFixed(3)}, 95% interval ${winRate.low.toFixed(3)}-${winRate.high.toFixed(3)}`;
  const who = `round ${last.round}`;
  if (winRate.low > 0.5) return `Improved: ${who} wins significantly (${interval}); ${accuracy}.`;
  if (winRate.high < 0.5) return `Worse: ${who} loses significantly (${interval}); ${accuracy}.`;
  const trend =
    dGreedy > 0 && dSampled > 0
      ? 'a trend up, not significant'
      : dGreedy < 0 && dSampled < 0
        ? 'a trend down, not significant'
        : 'no clear change';
  return `Not significant: ${trend} (${interval} includes 0.5); ${accuracy}.`;
}

const ROWS = {
  greedy: 'judge accuracy, greedy (held-out)',
  sampled: 'judge accuracy, sampled (held-out)',
  win: 'win rate vs base (blind, judged)',
  pref: 'eval preference accuracy',
  kl: 'KL of the version from the base, nats per sample',
  pairs: 'judged pairs: this round / dataset train / eval',
  reached: 'held-out facts answered right in training samples so far',
} as const;

const winCell = (w: DemoWinRate): string =>
  `${w.rate.toFixed(3)} (95% Wilson ${w.low.toFixed(3)}-${w.high.toFixed(3)}, n=${w.n})`;

export function formatDemoTable(report: DemoReport): string {
  const rounds = report.rounds;
  const cols = (f: (r: DemoRound) => string) => rounds.map(f).join(' | ');
  const lines = [
    `Demo: ${report.model}; ${report.method.toUpperCase()}, ${rounds.length} round(s) of ${report.steps} steps; ` +
      `${report.trainPrompts} training prompts x ${report.samplesPerPrompt} samples per round, ` +
      `${report.heldOutPrompts} held-out prompts.`,
    '',
    `| measure | base | ${cols((r) => `round ${r.round}`)} |`,
    `| --- | --- | ${cols(() => '---')} |`,
    `| ${ROWS.greedy} | ${share(report.base.greedy)} | ${cols((r) => share(r.greedy))} |`,
    `| ${ROWS.sampled} | ${share(report.base.sampled)} | ${cols((r) => share(r.sampled))} |`,
    `| ${ROWS.win} | | ${cols((r) => winCell(r.winRate))} |`,
    `| ${ROWS.pref} | | ${cols((r) => (r.evalPreferenceAccuracy === null ? 'n/a' : r.evalPreferenceAccuracy.toFixed(3)))} |`,
    `| ${ROWS.kl} | 0 | ${cols((r) => `${r.kl.kl.toFixed(3)} ± ${r.kl.stderr.toFixed(3)} (n=${r.kl.n})`)} |`,
    `| ${ROWS.pairs} | | ${cols((r) => `${r.pairs.rated} / ${r.pairs.train} / ${r.pairs.eval}`)} |`,
    `| ${ROWS.reached} | | ${cols((r) => share(r.reached))} |`,
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

export interface ParsedRound {
  reached: Accuracy;
  greedy: Accuracy;
  sampled: Accuracy;
  winRate: DemoWinRate;
  evalPreferenceAccuracy: number | null;
  kl: number;
}

export interface ParsedDemoTable {
  base: { greedy: Accuracy; sampled: Accuracy };
  rounds: ParsedRound[];
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

function accuracyCell(value: string | undefined, what: string): Accuracy {
  const match = /^(\d+)\/(\d+) = ([\d.]+)$/.exec(value ?? '');
  if (!match) throw new Error(`demo table: ${what} is "${value}", not "k/n = x"`);
  return { correct: Number(match[1]), total: Number(match[2]) };
}

/** Reads a printed report back; throws naming the row that does not parse. */
export function parseDemoTable(text: string): ParsedDemoTable {
  const rows = cells(text.slice(0, text.indexOf('| stage | seconds |')));
  const row = (key: string): string[] => {
    const found = rows.get(key);
    if (!found) throw new Error(`demo table: no "${key}" row`);
    return found;
  };
  const header = row('measure').slice(1);
  const rounds = header.map((_, i): ParsedRound => {
    const at = (key: string) => row(key)[i + 1] ?? '';
    const win = /^([\d.]+) \(95% Wilson ([\d.]+)-([\d.]+), n=(\d+)\)$/.exec(at(ROWS.win));
    if (!win) throw new Error(`demo table: ${header[i]} win rate is "${at(ROWS.win)}"`);
    const pref = at(ROWS.pref);
    if (pref !== 'n/a' && !/^[\d.]+$/.test(pref))
      throw new Error(`demo table: ${header[i]} eval preference accuracy is "${pref}"`);
    const kl = /^(-?[\d.]+) ± /.exec(at(ROWS.kl));
    if (!kl) throw new Error(`demo table: ${header[i]} KL is "${at(ROWS.kl)}"`);
    return {
      reached: accuracyCell(at(ROWS.reached), `${header[i]} facts reached`),
      greedy: accuracyCell(at(ROWS.greedy), `${header[i]} greedy`),
      sampled: accuracyCell(at(ROWS.sampled), `${header[i]} sampled`),
      winRate: { rate: Number(win[1]), low: Number(win[2]), high: Number(win[3]), n: Number(win[4]) },
      evalPreferenceAccuracy: pref === 'n/a' ? null : Number(pref),
      kl: Number(kl[1]),
    };
  });
  const stages: Record<string, number> = {};
  for (const [name, [seconds]] of cells(text.slice(text.indexOf('| stage | seconds |'))))
    if (name !== 'stage') stages[name] = Number(seconds);
  const verdictLine = text.trimEnd().split('\n').at(-1) ?? '';
  if (!/^(Improved|Worse|Not significant): /.test(verdictLine))
    throw new Error(`demo table: the last line is not a verdict: "${verdictLine}"`);
  return {
    base: {
      greedy: accuracyCell(row(ROWS.greedy)[0], 'base greedy'),
      sampled: accuracyCell(row(ROWS.sampled)[0], 'base sampled'),
    },
    rounds,
    stages,
    verdict: verdictLine,
  };
}
