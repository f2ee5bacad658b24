// Per-annotator statistics (getAnnotatorStats): progress, median time, speed and self-consistency,
// refreshed on demand (after each rating); a late answer never overwrites a newer one.
import type { AnnotatorStats } from '../../../src-shared/labeling-schemas';
import type { WorkbenchClient } from './api/workbench-client';
import { errorMessage } from './error-message';

export class AnnotatorStatsStore {
  readonly #api: WorkbenchClient;
  #request = 0;
  #stats = $state.raw<readonly AnnotatorStats[]>([]);
  #error = $state<string | null>(null);

  constructor(api: WorkbenchClient) {
    this.#api = api;
  }

  get error(): string | null {
    return this.#error;
  }

  forAnnotator(annotatorId: number): AnnotatorStats | undefined {
    return this.#stats.find((stats) => stats.annotatorId === annotatorId);
  }

  async refresh(): Promise<void> {
    const request = ++this.#request;
    try {
      const stats = await this.#api.getAnnotatorStats({});
      if (request !== this.#request) return;
      this.#stats = stats;
      this.#error = null;
    } catch (error) {
      if (request === this.#request) this.#error = `Could not load annotator stats: ${errorMessage(error)}`;
    }
  }
}

/** Ratings per hour at the median pace; null before the first timed rating. */
export function ratingsPerHour(medianTimeMs: number | null): number | null {
  if (medianTimeMs === null || medianTimeMs <= 0) return null;
  return 3_600_000 / medianTimeMs;
}
