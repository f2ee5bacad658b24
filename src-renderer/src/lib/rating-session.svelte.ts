// One annotator's rating session: the pair on screen, the pending strength, the busy flag, progress and
// recent ratings. A choice is committed (submitRating resolved) before the next pair is fetched and shown.
import type {
  PairToRate,
  RatingProgress,
  RatingSummary,
  ScreenChoice,
  Strength,
} from '../../../src-shared/schemas';
import type { WorkbenchClient, WorkbenchEvent } from './api/workbench-client';
import { errorMessage, isConflict } from './error-message';

export type RateStatus = 'loading' | 'failed' | 'rating' | 'empty' | 'done';

const DEFAULT_STRENGTH: Strength = 2;
const RECENT_LIMIT = 10;
/** The contract caps timeSpentMs at a day; a pair left open overnight still gets rated. */
const MAX_TIME_SPENT_MS = 86_400_000;

export class RatingSession {
  readonly #api: WorkbenchClient;
  #annotatorId: number | null = null;
  /** Bumped on start/stop so replies meant for an earlier annotator are dropped. */
  #generation = 0;
  #progressRequest = 0;
  #recentRequest = 0;
  #unsubscribe: (() => void) | null = null;
  #shownAt = 0;

  #loading = $state(true);
  #failed = $state(false);
  #pair = $state.raw<PairToRate | null>(null);
  #strength = $state<Strength>(DEFAULT_STRENGTH);
  #busy = $state(false);
  #progress = $state.raw<RatingProgress | null>(null);
  #recent = $state.raw<RatingSummary[]>([]);
  #error = $state<string | null>(null);
  #notice = $state<string | null>(null);
  #tags = $state.raw<readonly string[]>([]);
  /** Counts pairs put on screen, so a pair shown again (a quality check, an undo) still reads as new. */
  #shownCount = $state(0);
  /** Bumped after every saved or undone rating, so panels that summarize ratings know to refresh. */
  #ratingsVersion = $state(0);
  /** The optional note for the pair on screen; bound to the note field, cleared with each new pair. */
  note = $state('');

  #status = $derived.by((): RateStatus => {
    if (this.#loading) return 'loading';
    if (this.#failed) return 'failed';
    if (this.#pair) return 'rating';
    return this.#progress?.total === 0 ? 'empty' : 'done';
  });

  constructor(api: WorkbenchClient) {
    this.#api = api;
  }

  get status(): RateStatus {
    return this.#status;
  }
  get pair(): PairToRate | null {
    return this.#pair;
  }
  /** The strength the next left/right choice gets unless Shift makes it strong. */
  get strength(): Strength {
    return this.#strength;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get progress(): RatingProgress | null {
    return this.#progress;
  }
  get recent(): readonly RatingSummary[] {
    return this.#recent;
  }
  /** Reason tags chosen for the pair on screen; cleared with each new pair. */
  get tags(): readonly string[] {
    return this.#tags;
  }
  get shownCount(): number {
    return this.#shownCount;
  }
  get ratingsVersion(): number {
    return this.#ratingsVersion;
  }
  get error(): string | null {
    return this.#error;
  }
  get notice(): string | null {
    return this.#notice;
  }

  start(annotatorId: number): void {
    this.stop();
    this.#annotatorId = annotatorId;
    const generation = this.#generation;
    this.#loading = true;
    this.#failed = false;
    this.#busy = false;
    this.#pair = null;
    this.#progress = null;
    this.#recent = [];
    this.#error = null;
    this.#notice = null;
    this.#unsubscribe = this.#api.onEvent((event) => this.#onEvent(event));
    void this.#reload(generation);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#generation += 1;
  }

  retry(): void {
    if (this.#annotatorId !== null && !this.#busy) void this.#reload(this.#generation);
  }

  setStrength(strength: Strength): void {
    this.#strength = strength;
  }

  toggleTag(name: string): void {
    if (this.#busy || !this.#pair) return;
    this.#tags = this.#tags.includes(name) ? this.#tags.filter((tag) => tag !== name) : [...this.#tags, name];
  }

  /** Rates the pair on screen; ignored while a rating or undo is in flight, so a key cannot double-submit. */
  async choose(choice: ScreenChoice, strong: boolean): Promise<void> {
    const pair = this.#pair;
    const annotatorId = this.#annotatorId;
    if (this.#busy || !pair || annotatorId === null) return;
    const generation = this.#generation;
    const prefers = choice === 'left' || choice === 'right';
    const note = this.note.trim();
    this.#busy = true;
    this.#error = null;
    this.#notice = null;
    try {
      const result = await this.#api.submitRating({
        annotatorId,
        pairId: pair.pairId,
        leftCandidateId: pair.left.candidateId,
        choice,
        strength: prefers ? (strong ? 3 : this.#strength) : null,
        note: note === '' ? null : note,
        tags: [...this.#tags],
        qualityCheck: pair.qualityCheck,
        timeSpentMs: Math.min(MAX_TIME_SPENT_MS, Math.max(0, Math.round(performance.now() - this.#shownAt))),
      });
      if (generation !== this.#generation) return;
      this.#setProgress(result.progress);
      this.#ratingsVersion += 1;
      await this.#advance(generation);
    } catch (error) {
      if (generation !== this.#generation) return;
      if (!isConflict(error)) {
        this.#error = `Could not save the rating: ${errorMessage(error)}`;
        return;
      }
      this.#error = `${errorMessage(error)} (rated elsewhere, perhaps in another window); showing the next pair.`;
      void this.#refreshProgress(generation);
      await this.#advance(generation);
    } finally {
      if (generation === this.#generation) this.#busy = false;
    }
  }

  /** Undoes this annotator's latest rating and puts that pair back on screen. */
  async undo(): Promise<void> {
    const annotatorId = this.#annotatorId;
    if (this.#busy || annotatorId === null || this.#loading) return;
    const generation = this.#generation;
    this.#busy = true;
    this.#error = null;
    this.#notice = null;
    try {
      const result = await this.#api.undoRating({ annotatorId });
      if (generation !== this.#generation) return;
      this.#setProgress(result.progress);
      this.#ratingsVersion += 1;
      if (result.undonePairId === null) {
        this.#notice = 'Nothing to undo.';
        return;
      }
      if (result.pair) this.#show(result.pair);
      else await this.#advance(generation);
      this.#notice = 'Undid the last rating; rate this pair again.';
      void this.#refreshRecent(generation);
    } catch (error) {
      if (generation === this.#generation) this.#error = `Could not undo: ${errorMessage(error)}`;
    } finally {
      if (generation === this.#generation) this.#busy = false;
    }
  }

  /** After an import in this window: new pairs may now be waiting. */
  pairsChanged(): void {
    this.#onPairsAdded(this.#generation);
  }

  #onEvent(event: WorkbenchEvent): void {
    const generation = this.#generation;
    if (event.event === 'pairsImported') {
      this.#onPairsAdded(generation);
      return;
    }
    if (event.event !== 'ratingsChanged' || event.payload.annotatorId !== this.#annotatorId) return;
    void this.#refreshProgress(generation);
    void this.#refreshRecent(generation);
    // While busy, this window's own submit or undo is what changed; it advances by itself.
    if (this.#busy || this.#loading) return;
    if (event.payload.kind === 'rated' && this.#pair?.pairId === event.payload.pairId) {
      this.#notice = 'This pair was rated in another window; showing the next one.';
      void this.#advance(generation);
    } else if (event.payload.kind === 'undone' && this.#pair === null) {
      void this.#advance(generation);
    }
  }

  #onPairsAdded(generation: number): void {
    void this.#refreshProgress(generation);
    if (!this.#busy && !this.#loading && this.#pair === null) void this.#advance(generation);
  }

  async #reload(generation: number): Promise<void> {
    const annotatorId = this.#annotatorId;
    if (annotatorId === null) return;
    this.#loading = true;
    try {
      const [progress, pair] = await Promise.all([
        this.#api.getRatingProgress({ annotatorId }),
        this.#api.nextPair({ annotatorId, qualityChecks: true }),
      ]);
      if (generation !== this.#generation) return;
      this.#setProgress(progress);
      this.#failed = false;
      this.#error = null;
      this.#show(pair);
      void this.#refreshRecent(generation);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#failed = true;
      this.#error = `Could not load pairs: ${errorMessage(error)}`;
    } finally {
      if (generation === this.#generation) this.#loading = false;
    }
  }

  async #advance(generation: number): Promise<void> {
    const annotatorId = this.#annotatorId;
    if (annotatorId === null) return;
    try {
      const next = await this.#api.nextPair({ annotatorId, qualityChecks: true });
      if (generation !== this.#generation) return;
      this.#failed = false;
      this.#show(next);
      void this.#refreshRecent(generation);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#pair = null;
      this.#failed = true;
      this.#error = `Could not load the next pair: ${errorMessage(error)}`;
    }
  }

  #show(pair: PairToRate | null): void {
    this.#pair = pair;
    this.#strength = DEFAULT_STRENGTH;
    this.#tags = [];
    this.#shownCount += 1;
    this.note = '';
    this.#shownAt = performance.now();
  }

  #setProgress(progress: RatingProgress): void {
    this.#progressRequest += 1;
    this.#progress = progress;
  }

  async #refreshProgress(generation: number): Promise<void> {
    const annotatorId = this.#annotatorId;
    if (annotatorId === null) return;
    const request = ++this.#progressRequest;
    try {
      const progress = await this.#api.getRatingProgress({ annotatorId });
      // A newer answer (from a submit or a later refresh) wins over this one.
      if (generation === this.#generation && request === this.#progressRequest) this.#progress = progress;
    } catch (error) {
      if (generation === this.#generation)
        this.#error ??= `Could not refresh progress: ${errorMessage(error)}`;
    }
  }

  async #refreshRecent(generation: number): Promise<void> {
    const annotatorId = this.#annotatorId;
    if (annotatorId === null) return;
    const request = ++this.#recentRequest;
    try {
      const recent = await this.#api.listRatings({ annotatorId, limit: RECENT_LIMIT });
      if (generation === this.#generation && request === this.#recentRequest) this.#recent = recent;
    } catch (error) {
      if (generation === this.#generation)
        this.#error ??= `Could not load recent ratings: ${errorMessage(error)}`;
    }
  }
}
