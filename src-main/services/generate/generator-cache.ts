// Keeps the last loaded generator (checkpoint, tokenizer, ONNX session in its worker) warm between runs of
// the same model version, so a second Generate click does not rebuild the graph. One entry; a run that
// finds it busy loads its own, closed afterwards. Closed after an idle spell, or when the workbench closes.
import type { LoadedGenerator } from '../../generate/index';

export interface GeneratorLease {
  generator: LoadedGenerator;
  release(): Promise<void>;
}

interface Entry {
  key: string;
  generator: LoadedGenerator;
  inUse: boolean;
  idleTimer: ReturnType<typeof setTimeout> | null;
}

export class GeneratorCache {
  readonly #idleMs: number;
  #entry: Entry | null = null;
  #closed = false;

  constructor(options: { idleMs?: number } = {}) {
    this.#idleMs = options.idleMs ?? 5 * 60_000;
  }

  /** A generator for `key`: the warm one when it is free, else a fresh one from `load`. */
  async acquire(key: string, load: () => Promise<LoadedGenerator>): Promise<GeneratorLease> {
    const entry = this.#entry;
    if (entry && entry.key === key && !entry.inUse) {
      this.#checkOut(entry);
      return { generator: entry.generator, release: async () => this.#checkIn(entry) };
    }
    if (entry && !entry.inUse) await this.#drop(entry);
    const generator = await load();
    if (this.#closed || this.#entry !== null) {
      // Closing, or another run holds the cache: this one is for this run only.
      return { generator, release: () => generator.close() };
    }
    const fresh: Entry = { key, generator, inUse: false, idleTimer: null };
    this.#entry = fresh;
    this.#checkOut(fresh);
    return { generator, release: async () => this.#checkIn(fresh) };
  }

  /** Closes the idle generator now and any busy one when its run ends. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#entry && !this.#entry.inUse) await this.#drop(this.#entry);
  }

  get warmKey(): string | null {
    return this.#entry?.key ?? null;
  }

  #checkOut(entry: Entry): void {
    entry.inUse = true;
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
  }

  async #checkIn(entry: Entry): Promise<void> {
    entry.inUse = false;
    if (this.#closed || this.#entry !== entry) return this.#drop(entry);
    entry.idleTimer = setTimeout(() => void this.#drop(entry), this.#idleMs);
    entry.idleTimer.unref?.();
  }

  async #drop(entry: Entry): Promise<void> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
    if (this.#entry === entry) this.#entry = null;
    await entry.generator.close();
  }
}
