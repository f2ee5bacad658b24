// A run's settings on their way to the trainer (API settings -> TrainArgs with errors naming the setting,
// the out-of-memory retry's smaller micro-batch) and on their way back to the screen (device line, series).
import { ApiError } from '../../../src-shared/errors';
import type { MetricSeries, TrainSettings } from '../../../src-shared/train-schemas';
import { resolveTrainArgs, type TrainArgs } from '../../train/index';

/** The screen line for a device: "CUDA" or "CPU (no CUDA: <why>)". */
export function deviceLine(device: string, reason: string | null | undefined): string {
  if (device === 'cuda') return 'CUDA';
  return reason ? `CPU (no CUDA: ${reason.replace(/^CUDA unavailable, running on CPU: /, '')})` : 'CPU';
}

/** TrainSettings (the API's) -> the trainer's TrainArgs; errors name the setting. */
export function toTrainArgs(settings: TrainSettings): TrainArgs {
  try {
    return resolveTrainArgs({
      ...settings,
      loraTargets: settings.loraTargets ?? undefined,
      maxSteps: settings.maxSteps ?? undefined,
      maxLength: settings.maxLength ?? undefined,
      maxMemory: settings.maxMemory ?? undefined,
      evalSplit: 0, // the dataset's own split is used
    });
  } catch (error) {
    const message = (error as Error).message.replace(
      /^--([a-z-]+)/,
      (_, flag: string) => `settings.${flag.replace(/-([a-z])/g, (__, c: string) => c.toUpperCase())}`,
    );
    throw new ApiError('invalid_input', message);
  }
}

/** The next split of a step into more micro-batches: half the micro-batch (accumulation doubled). */
export function halveMicroBatch(args: TrainArgs): TrainArgs | undefined {
  const micro = args.batchSize / args.gradAccum;
  for (let accum = args.gradAccum + 1; accum <= args.batchSize; accum++)
    if (args.batchSize % accum === 0 && args.batchSize / accum <= Math.floor(micro / 2))
      return { ...args, gradAccum: accum };
  return undefined;
}

export function seriesOf(points: { step: number; name: string; value: number | null }[]): MetricSeries[] {
  const byName = new Map<string, MetricSeries>();
  for (const p of points) {
    let s = byName.get(p.name);
    if (!s) byName.set(p.name, (s = { name: p.name, steps: [], values: [] }));
    s.steps.push(p.step);
    s.values.push(p.value);
  }
  return [...byName.values()];
}
