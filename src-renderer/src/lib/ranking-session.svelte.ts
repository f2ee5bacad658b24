// Rank mode's state: prompts with three or more candidates, the one being ranked, the order so far, and
// submitting the order (submitRanking), which turns it into pairs.
import type { CandidateInfo } from '../../../src-shared/labeling-schemas';
import type { WorkbenchClient } from './api/workbench-client';
import { errorMessage } from './error-message';

export type RankablePrompt = { promptId: number; prompt: string; candidates: number };
type Current = { promptId: number; prompt: string; candidates: CandidateInfo[] };

const MAX_TIME_SPENT_MS = 86_400_000;

export class RankingSession {
  readonly #api: WorkbenchClient;
  #shownAt = 0;
  #prompts = $state.raw<RankablePrompt[]>([]);
  #loaded = $state(false);
  #current = $state.raw<Current | null>(null);
  #order = $state.raw<number[]>([]);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #result = $state<string | null>(null);

  constructor(api: WorkbenchClient) {
    this.#api = api;
  }

  get prompts(): readonly RankablePrompt[] {
    return this.#prompts;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get current(): Current | null {
    return this.#current;
  }
  get order(): readonly number[] {
    return this.#order;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  get result(): string | null {
    return this.#result;
  }

  async load(): Promise<void> {
    try {
      this.#prompts = await this.#api.listRankablePrompts({ minCandidates: 3 });
      this.#loaded = true;
    } catch (error) {
      this.#error = `Could not list prompts: ${errorMessage(error)}`;
    }
  }

  async open(promptId: number): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    this.#error = null;
    this.#result = null;
    try {
      this.#current = await this.#api.listCandidates({ promptId });
      this.#order = [];
      this.#shownAt = performance.now();
    } catch (error) {
      this.#error = `Could not load the candidates: ${errorMessage(error)}`;
    } finally {
      this.#busy = false;
    }
  }

  setOrder(order: number[]): void {
    if (!this.#busy) this.#order = order;
  }

  async submit(annotatorId: number): Promise<void> {
    const current = this.#current;
    if (this.#busy || !current || this.#order.length !== current.candidates.length) return;
    this.#busy = true;
    this.#error = null;
    try {
      const result = await this.#api.submitRanking({
        annotatorId,
        promptId: current.promptId,
        candidateIds: this.#order,
        timeSpentMs: Math.min(MAX_TIME_SPENT_MS, Math.max(0, Math.round(performance.now() - this.#shownAt))),
      });
      this.#result =
        `The ranking made ${plural(result.pairsAdded, 'new pair')} and ${plural(result.comparisonsAdded, 'rating')}` +
        (result.alreadyRated > 0
          ? ` (${plural(result.alreadyRated, 'pair')} you had rated already kept).`
          : '.');
      this.#current = null;
      this.#order = [];
    } catch (error) {
      this.#error = `Could not save the ranking: ${errorMessage(error)}`;
    } finally {
      this.#busy = false;
    }
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
