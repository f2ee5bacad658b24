// Who is rating: the annotator list, the current choice (remembered in localStorage) and creating one.
import type { Annotator } from '../../../src-shared/schemas';
import type { WorkbenchClient } from './api/workbench-client';
import { errorMessage } from './error-message';

const STORAGE_KEY = 'dpo-workbench.annotatorId';

export class AnnotatorStore {
  readonly #api: WorkbenchClient;
  #list = $state.raw<Annotator[]>([]);
  #currentId = $state<number | null>(null);
  #loaded = $state(false);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #current = $derived(this.#list.find((annotator) => annotator.id === this.#currentId) ?? null);

  constructor(api: WorkbenchClient) {
    this.#api = api;
  }

  get list(): readonly Annotator[] {
    return this.#list;
  }
  get current(): Annotator | null {
    return this.#current;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }

  async load(): Promise<void> {
    try {
      this.#list = await this.#api.listAnnotators({});
      this.#error = null;
      const remembered = readRememberedId();
      const pick = this.#list.find((a) => a.id === remembered) ?? this.#list[0];
      this.#currentId = pick?.id ?? null;
    } catch (error) {
      this.#error = `Could not load annotators: ${errorMessage(error)}`;
    } finally {
      this.#loaded = true;
    }
  }

  select(id: number): void {
    if (!this.#list.some((annotator) => annotator.id === id)) return;
    this.#currentId = id;
    remember(id);
  }

  /** Creates an annotator and makes it current; resolves false (with `error` set) when the server refuses. */
  async create(name: string): Promise<boolean> {
    if (this.#busy) return false;
    this.#busy = true;
    try {
      const annotator = await this.#api.createAnnotator({ name });
      this.#list = [...this.#list.filter((a) => a.id !== annotator.id), annotator];
      this.#error = null;
      this.select(annotator.id);
      return true;
    } catch (error) {
      this.#error = errorMessage(error);
      return false;
    } finally {
      this.#busy = false;
    }
  }
}

// localStorage can be unavailable (private windows, storage disabled); the app then just forgets the choice.
function readRememberedId(): number | null {
  try {
    const value = Number(localStorage.getItem(STORAGE_KEY));
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

function remember(id: number): void {
  try {
    localStorage.setItem(STORAGE_KEY, String(id));
  } catch {
    // Not remembered across reloads; the current choice still holds for this page.
  }
}
