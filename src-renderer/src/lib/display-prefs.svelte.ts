// How responses are shown in the Rate view: as rendered markdown or plain text, and with the words that
// differ between the two highlighted. Remembered across sessions in localStorage.
const STORAGE_KEY = 'dpo-workbench.rate-display';

interface Stored {
  markdown: boolean;
  diff: boolean;
}

function load(): Stored {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
    const record = typeof value === 'object' && value !== null ? (value as Partial<Stored>) : {};
    return { markdown: record.markdown === true, diff: record.diff === true };
  } catch {
    return { markdown: false, diff: false };
  }
}

export class DisplayPrefs {
  #markdown = $state(false);
  #diff = $state(false);

  constructor() {
    const stored = load();
    this.#markdown = stored.markdown;
    this.#diff = stored.diff;
  }

  get markdown(): boolean {
    return this.#markdown;
  }
  set markdown(value: boolean) {
    this.#markdown = value;
    this.#save();
  }

  get diff(): boolean {
    return this.#diff;
  }
  set diff(value: boolean) {
    this.#diff = value;
    this.#save();
  }

  #save(): void {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ markdown: this.#markdown, diff: this.#diff }));
    } catch {
      // Storage can be unavailable (private windows); the choice then lasts until the page closes.
    }
  }
}
