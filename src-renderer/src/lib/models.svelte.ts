// The Models view's state: every model version, importing a folder and removing a version; each failure
// keeps the server's message verbatim (it names the folder or file at fault).
import type { ModelVersion } from '../../../src-shared/api-models';
import type { WorkbenchClient } from './api/workbench-client';
import { CallState } from './call-state.svelte';
import { errorMessage } from './error-message';

export class ModelStore extends CallState {
  readonly #api: WorkbenchClient;
  #versions = $state.raw<readonly ModelVersion[]>([]);
  #loaded = $state(false);

  constructor(api: WorkbenchClient) {
    super();
    this.#api = api;
  }

  get versions(): readonly ModelVersion[] {
    return this.#versions;
  }
  get loaded(): boolean {
    return this.#loaded;
  }

  async load(): Promise<void> {
    try {
      this.#versions = await this.#api.listModels({});
      this.#loaded = true;
    } catch (error) {
      this.fail(`Could not load models: ${errorMessage(error)}`);
    }
  }

  /** Imports a checkpoint folder; true when the server accepted it. */
  async importFolder(path: string, name: string): Promise<boolean> {
    const trimmed = name.trim();
    const imported = await this.run(() =>
      this.#api.importModel({ path, ...(trimmed === '' ? {} : { name: trimmed }) }),
    );
    if (!imported) return false;
    await this.load();
    this.say(`Imported “${imported.name}” (${imported.architecture ?? 'unknown architecture'}).`);
    return true;
  }

  async remove(modelId: number, withChildren: boolean, deleteFiles: boolean): Promise<boolean> {
    const removed = await this.run(() => this.#api.removeModel({ modelId, withChildren, deleteFiles }));
    if (!removed) return false;
    await this.load();
    const versions = removed.removed.length === 1 ? '1 version' : `${removed.removed.length} versions`;
    const files =
      removed.deletedFolders.length > 0
        ? `; deleted ${removed.deletedFolders.join(', ')}`
        : '; files kept on disk';
    this.say(`Removed ${versions}${files}.`);
    return true;
  }
}
