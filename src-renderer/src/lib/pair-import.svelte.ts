// Importing a preference file (.jsonl rows of {prompt, chosen, rejected}) and the outcome to show.
import type { ImportResult } from '../../../src-shared/schemas';
import type { WorkbenchClient } from './api/workbench-client';
import { errorMessage } from './error-message';
import { importSummary } from './format';

const MAX_BYTES = 64 * 1024 * 1024;

export type ImportOutcome = { kind: 'added'; text: string } | { kind: 'error'; text: string };

export class PairImport {
  readonly #api: WorkbenchClient;
  readonly #onImported: (result: ImportResult) => void;
  #busy = $state(false);
  #outcome = $state<ImportOutcome | null>(null);

  constructor(api: WorkbenchClient, onImported: (result: ImportResult) => void) {
    this.#api = api;
    this.#onImported = onImported;
  }

  get busy(): boolean {
    return this.#busy;
  }
  /** The last import's result, or the server's error verbatim (it names the line and field). */
  get outcome(): ImportOutcome | null {
    return this.#outcome;
  }

  async importFile(file: File): Promise<void> {
    if (this.#busy) return;
    if (file.size > MAX_BYTES) {
      this.#outcome = { kind: 'error', text: `${file.name}: file is larger than 64 MiB` };
      return;
    }
    this.#busy = true;
    this.#outcome = null;
    try {
      const content = await file.text();
      const result = await this.#api.importPairs({ fileName: file.name, content });
      this.#outcome = { kind: 'added', text: importSummary(result) };
      this.#onImported(result);
    } catch (error) {
      this.#outcome = { kind: 'error', text: errorMessage(error) };
    } finally {
      this.#busy = false;
    }
  }
}
