// The configured reason tags (one key each), loaded from and saved to the server; a save that the server
// refuses keeps its message verbatim so the tag editor can show it.
import type { RatingTag } from '../../../src-shared/labeling-schemas';
import type { WorkbenchClient } from './api/workbench-client';
import { errorMessage } from './error-message';

export class RatingTagStore {
  readonly #api: WorkbenchClient;
  #tags = $state.raw<readonly RatingTag[]>([]);
  #error = $state<string | null>(null);
  #saving = $state(false);

  constructor(api: WorkbenchClient) {
    this.#api = api;
  }

  get tags(): readonly RatingTag[] {
    return this.#tags;
  }
  get error(): string | null {
    return this.#error;
  }
  get saving(): boolean {
    return this.#saving;
  }

  /** The tag a key press toggles, if any (keys are stored lower-case). */
  tagForKey(key: string): RatingTag | undefined {
    const lower = key.toLowerCase();
    return this.#tags.find((tag) => tag.key === lower);
  }

  async load(): Promise<void> {
    try {
      this.#tags = await this.#api.getRatingTags({});
      this.#error = null;
    } catch (error) {
      this.#error = `Could not load reason tags: ${errorMessage(error)}`;
    }
  }

  /** Saves the whole list; true when the server accepted it. */
  async save(tags: RatingTag[]): Promise<boolean> {
    if (this.#saving) return false;
    this.#saving = true;
    try {
      this.#tags = await this.#api.setRatingTags({ tags });
      this.#error = null;
      return true;
    } catch (error) {
      this.#error = errorMessage(error);
      return false;
    } finally {
      this.#saving = false;
    }
  }
}
