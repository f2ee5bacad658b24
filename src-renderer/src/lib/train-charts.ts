// What the Train view charts: which TRL metrics go on which chart (train and eval lines together), the
// plain-language hint under each, and the series kept per run, merged from getRun and live runMetrics.
import type { MetricSeries, Run, RunDetail, RunMetricsEvent } from '../../../src-shared/train-schemas';

export interface ChartLine {
  /** TRL name of the train series; its eval twin is `eval_<name>`. */
  metric: string;
  label: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  lines: ChartLine[];
  hint: string;
}

export const TRAIN_CHARTS: readonly ChartSpec[] = [
  {
    id: 'loss',
    title: 'Loss',
    lines: [{ metric: 'loss', label: 'loss' }],
    hint: 'Should fall from about 0.69 (log 2, no preference yet). Train falling while eval rises means overfitting.',
  },
  {
    id: 'rewards',
    title: 'Rewards (chosen / rejected)',
    lines: [
      { metric: 'rewards/chosen', label: 'chosen' },
      { metric: 'rewards/rejected', label: 'rejected' },
    ],
    hint: 'Both often fall: that is common and fine. What matters is that rejected falls faster than chosen.',
  },
  {
    id: 'margins',
    title: 'Reward margin',
    lines: [{ metric: 'rewards/margins', label: 'margin' }],
    hint: 'Chosen minus rejected reward: the number that should grow. This is what DPO optimises.',
  },
  {
    id: 'accuracies',
    title: 'Preference accuracy',
    lines: [{ metric: 'rewards/accuracies', label: 'accuracy' }],
    hint: 'Share of pairs the model now prefers the right way. Stuck near 0.5: ambiguous data or a wrong beta.',
  },
  {
    id: 'logps',
    title: 'Log-probs (chosen / rejected)',
    lines: [
      { metric: 'logps/chosen', label: 'chosen' },
      { metric: 'logps/rejected', label: 'rejected' },
    ],
    hint: 'Likelihood of the answers under the tuned model. A steep drop of both can mean the model is degrading.',
  },
  {
    id: 'grad_norm',
    title: 'Gradient norm',
    lines: [{ metric: 'grad_norm', label: 'grad norm' }],
    hint: 'Size of each update before clipping. Spikes are normal early; a steady climb hints at a too-high learning rate.',
  },
  {
    id: 'learning_rate',
    title: 'Learning rate',
    lines: [{ metric: 'learning_rate', label: 'lr' }],
    hint: 'Rises during warmup, then follows the schedule.',
  },
];

/** name -> (steps, values), for one run and split. */
export type SeriesMap = Map<string, { steps: number[]; values: (number | null)[] }>;

export interface RunSeries {
  train: SeriesMap;
  eval: SeriesMap;
}

export function emptySeries(): RunSeries {
  return { train: new Map(), eval: new Map() };
}

function toMap(series: readonly MetricSeries[]): SeriesMap {
  return new Map(series.map((s) => [s.name, { steps: [...s.steps], values: [...s.values] }]));
}

export function seriesFromDetail(detail: RunDetail): RunSeries {
  return { train: toMap(detail.metrics.train), eval: toMap(detail.metrics.eval) };
}

function put(map: SeriesMap, name: string, step: number, value: number | null): void {
  let s = map.get(name);
  if (!s) map.set(name, (s = { steps: [], values: [] }));
  const at = s.steps.indexOf(step);
  if (at >= 0)
    s.values[at] = value; // a resumed run logs a step again
  else if (s.steps.length === 0 || step > (s.steps.at(-1) as number)) {
    s.steps.push(step);
    s.values.push(value);
  } else {
    const index = s.steps.findIndex((x) => x > step);
    s.steps.splice(index, 0, step);
    s.values.splice(index, 0, value);
  }
}

/** A new RunSeries with one live event merged in (the old one is left as it was). */
export function mergeEvent(series: RunSeries, event: RunMetricsEvent): RunSeries {
  const copy = (map: SeriesMap): SeriesMap =>
    new Map([...map].map(([k, v]) => [k, { steps: [...v.steps], values: [...v.values] }]));
  const next = { train: copy(series.train), eval: copy(series.eval) };
  for (const [name, value] of Object.entries(event.train)) put(next.train, name, event.step, value);
  for (const [name, value] of Object.entries(event.eval)) put(next.eval, name, event.step, value);
  return next;
}

/**
 * uPlot's data for one chart: x = every step any of its lines has, then one array per line (train, then
 * eval when there is any), null where a line has no value at that step.
 */
export function chartData(
  spec: ChartSpec,
  series: RunSeries,
): { labels: string[]; data: [number[], ...(number | null)[][]] } {
  const lines: { label: string; s: { steps: number[]; values: (number | null)[] } }[] = [];
  for (const line of spec.lines) {
    const train = series.train.get(line.metric);
    if (train) lines.push({ label: line.label, s: train });
  }
  for (const line of spec.lines) {
    const evalSeries = series.eval.get(`eval_${line.metric}`);
    if (evalSeries) lines.push({ label: `eval ${line.label}`, s: evalSeries });
  }
  const xs = [...new Set(lines.flatMap((l) => l.s.steps))].sort((a, b) => a - b);
  const columns = lines.map((l) => {
    const at = new Map(l.s.steps.map((step, i) => [step, l.s.values[i] ?? null]));
    return xs.map((x) => at.get(x) ?? null);
  });
  return { labels: lines.map((l) => l.label), data: [xs, ...columns] };
}

/** "1:05" or "12 s" for a time left. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** "7 train / 1 eval pairs · reference log-probs: 8 cached, 0 computed", from what the service recorded. */
export function runFacts(run: Run): string | null {
  const facts = run.config.run as Record<string, unknown> | undefined;
  const n = (key: string): number | null =>
    typeof facts?.[key] === 'number' ? (facts[key] as number) : null;
  const [train, evalPairs, cached, scored] = [
    n('trainPairs'),
    n('evalPairs'),
    n('cachedReferencePairs'),
    n('scoredReferencePairs'),
  ];
  if (train === null || evalPairs === null) return null;
  const pairs = `${train} train / ${evalPairs} eval pairs`;
  const withCache =
    cached === null || scored === null
      ? pairs
      : `${pairs} · reference log-probs: ${cached} cached, ${scored} computed`;
  const plan = memoryFact(facts?.memory);
  return plan ? `${withCache} · ${plan}` : withCache;
}

/** The memory plan the run chose: "micro-batch 4 × 2, recompute on, est. 5.1 of 12.0 GB". */
function memoryFact(memory: unknown): string | null {
  if (typeof memory !== 'object' || memory === null) return null;
  const m = memory as Record<string, unknown>;
  if (typeof m.microBatch !== 'number' || typeof m.estimatedGb !== 'number' || typeof m.budgetGb !== 'number')
    return null;
  return (
    `micro-batch ${m.microBatch} × ${String(m.gradAccum)}, recompute ${m.recompute === true ? 'on' : 'off'}, ` +
    `est. peak ${m.estimatedGb.toFixed(1)} of ${m.budgetGb.toFixed(1)} GB`
  );
}

/**
 * Axis tick labels that stay distinct at any scale: plain numbers from 0.01 to 10^5, exponent form
 * (5e-5, 1.2e-4) for smaller or larger ones, so a learning rate of 5e-5 never reads "0, 0, 0".
 */
export function tickLabels(ticks: readonly number[]): string[] {
  const largest = Math.max(0, ...ticks.map((tick) => Math.abs(tick)));
  const exponent = largest !== 0 && (largest < 0.01 || largest >= 1e5);
  return ticks.map((tick) => {
    if (tick === 0) return '0';
    if (exponent)
      return tick
        .toExponential(2)
        .replace(/\.?0+e/, 'e')
        .replace('e+', 'e');
    return String(Number(tick.toPrecision(3)));
  });
}
