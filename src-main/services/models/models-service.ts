// The Models view's use cases: list every version with its lineage and what it would run on, import a
// checkpoint folder after checking it loads, remove a version (its tuned versions too only when asked;
// files kept unless asked), and register the embedded tiny model when the workbench opens.
import { existsSync, rmSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { ApiHandlers } from '../../../src-shared/api';
import type { ModelVersion, modelsContract } from '../../../src-shared/api-models';
import { ApiError } from '../../../src-shared/errors';
import type { DeviceInfo } from '../../../src-shared/schemas';
import { ModelsRepo, type ModelRow } from '../../store/models-repo';
import { importAdapter } from './adapter-import';
import type { EventBus } from '../jobs/event-bus';
import { folderSize, inspectCheckpoint, readGenerationDefaults, readThinkingSwitch } from './model-folder';
import { scanCheckpointWeights } from './weight-scan';

export const EMBEDDED_MODEL_FOLDER = path.join('resources', 'tiny-model');
export const EMBEDDED_MODEL_NAME = 'tiny (embedded)';

/** Electron's resources folder in a packaged app (process.resourcesPath); undefined under plain Node. */
function electronResourcesDir(): string | undefined {
  return (process as { resourcesPath?: string }).resourcesPath;
}

export interface ModelsServiceDeps {
  db: Database.Database;
  events: EventBus;
  /** Where the engine would run ('auto'); probed once per process. */
  device: () => Promise<DeviceInfo>;
}

export function createModelsService({ db, events, device }: ModelsServiceDeps) {
  const repo = new ModelsRepo(db);

  function requireModel(modelId: number): ModelRow {
    const row = repo.get(modelId);
    if (!row || row.removedAt !== null)
      throw new ApiError('not_found', `modelId: no model with id ${modelId}`);
    return row;
  }

  async function toVersion(row: ModelRow): Promise<ModelVersion> {
    const where = await device();
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      path: row.path,
      adapterPath: row.adapterPath,
      parentId: row.parentId,
      architecture: row.architecture,
      dtype: row.dtype,
      parameterCount: row.parameterCount,
      sizeBytes: folderSize(row.adapterPath ?? row.path),
      device: where.device,
      deviceNote: where.reason,
      generationDefaults: readGenerationDefaults(row.path),
      thinkingOff: readThinkingSwitch(row.path),
      createdAt: row.createdAt,
      removedAt: row.removedAt,
    };
  }

  async function list(includeRemoved = false): Promise<ModelVersion[]> {
    return Promise.all(repo.list({ includeRemoved }).map(toVersion));
  }

  function inspect(folder: string, kind: 'imported' | 'embedded') {
    const absolute = path.resolve(folder);
    const taken = repo.list().find((row) => row.kind === kind && row.path === absolute);
    if (taken) throw new ApiError('conflict', `${absolute}: already registered as model "${taken.name}"`);
    try {
      return { absolute, summary: inspectCheckpoint(absolute) };
    } catch (error) {
      throw new ApiError('bad_file', (error as Error).message);
    }
  }

  function insert(
    { absolute, summary }: ReturnType<typeof inspect>,
    kind: 'imported' | 'embedded',
    name?: string,
  ): ModelRow {
    const row = repo.insert({
      name: name || path.basename(absolute),
      kind,
      path: absolute,
      adapterPath: null,
      architecture: summary.architecture,
      dtype: summary.dtype,
      parameterCount: summary.parameterCount,
      parentId: null,
      config: summary.rawConfig,
    });
    events.emit('modelsChanged', { modelIds: [row.id], kind: 'added' });
    return row;
  }

  /** Checks the folder's headers and registers it; a folder already registered (and not removed) is refused. */
  function register(folder: string, kind: 'imported' | 'embedded', name?: string): ModelRow {
    return insert(inspect(folder, kind), kind, name);
  }

  /** As register, after one pass over every weight (NaN, Inf, absurd values name file and tensor). */
  async function importCheckpoint(folder: string, name?: string): Promise<ModelRow> {
    const inspected = inspect(folder, 'imported');
    try {
      await scanCheckpointWeights(inspected.absolute);
    } catch (error) {
      throw new ApiError('bad_file', (error as Error).message);
    }
    return insert(inspected, 'imported', name);
  }

  /** The version and, when asked, every live descendant (children before parents are hidden last). */
  function remove(modelId: number, withChildren: boolean, deleteFiles: boolean) {
    const root = requireModel(modelId);
    const descendants: ModelRow[] = [];
    const walk = (id: number) => {
      for (const child of repo.children(id)) {
        descendants.push(child);
        walk(child.id);
      }
    };
    walk(root.id);
    if (descendants.length > 0 && !withChildren) {
      const names = descendants.map((d) => `"${d.name}"`).join(', ');
      throw new ApiError(
        'conflict',
        `model "${root.name}" has ${descendants.length} tuned version(s) (${names}); remove them too, or remove those first`,
      );
    }
    const removing = [root, ...descendants];
    const folders = deleteFiles ? foldersToDelete(removing) : [];
    db.transaction(() => removing.forEach((row) => repo.markRemoved(row.id)))();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    const removed = removing.map((row) => row.id);
    events.emit('modelsChanged', { modelIds: removed, kind: 'removed' });
    return { removed, deletedFolders: folders };
  }

  /** The own folders of the versions being removed, refusing any that ships with the app or is shared. */
  function foldersToDelete(removing: readonly ModelRow[]): string[] {
    const ids = new Set(removing.map((row) => row.id));
    const own = (row: ModelRow) => row.adapterPath ?? row.path;
    const keptFolders = new Set(
      repo
        .list()
        .filter((row) => !ids.has(row.id))
        .map(own),
    );
    return removing.map((row) => {
      if (row.kind === 'embedded') {
        throw new ApiError('invalid_input', `model "${row.name}" ships with the workbench; its files stay`);
      }
      if (keptFolders.has(own(row))) {
        throw new ApiError('conflict', `${own(row)}: also used by another model version; its files stay`);
      }
      return own(row);
    });
  }

  /**
   * Registers `<root>/resources/tiny-model` as the embedded model when it exists and was never registered
   * (a person who removed it keeps it removed), or points the registered one at it: an installed app runs
   * from a new place after an update (an AppImage from a new mount on every start). Returns its id, or null.
   */
  function registerEmbedded(projectRoot: string, resourcesDir = electronResourcesDir()): number | null {
    // An installed app (electron-builder.yml) ships the model beside app.asar as <resources>/tiny-model.
    const folder = [
      ...(resourcesDir ? [path.join(resourcesDir, path.basename(EMBEDDED_MODEL_FOLDER))] : []),
      path.join(projectRoot, EMBEDDED_MODEL_FOLDER),
    ].find((candidate) => existsSync(path.join(candidate, 'config.json')));
    if (!folder) return null;
    const known = repo.list({ includeRemoved: true }).find((row) => row.kind === 'embedded');
    if (known) {
      if (known.removedAt !== null) return null;
      const absolute = path.resolve(folder);
      if (known.path !== absolute) repo.setOwnFolder(known.id, absolute);
      return known.id;
    }
    return register(folder, 'embedded', EMBEDDED_MODEL_NAME).id;
  }

  /** A PEFT adapter trained elsewhere, attached to the model its adapter_config.json names. */
  async function registerAdapter(folder: string, name?: string): Promise<ModelRow> {
    let row: ModelRow;
    try {
      row = await importAdapter(repo, folder, { name });
    } catch (error) {
      throw new ApiError('bad_file', (error as Error).message);
    }
    events.emit('modelsChanged', { modelIds: [row.id], kind: 'added' });
    return row;
  }

  return {
    repo,
    list,
    requireModel,
    register,
    importCheckpoint,
    registerAdapter,
    remove,
    registerEmbedded,
    toVersion,
  };
}

/** Registers the embedded model if it ships here; a broken one is reported and left out, never fatal. */
export function registerEmbeddedModel(models: ModelsService, projectRoot: string): number | null {
  try {
    return models.registerEmbedded(projectRoot);
  } catch (error) {
    console.warn(`the embedded model was not registered: ${(error as Error).message}`);
    return null;
  }
}

export type ModelsService = ReturnType<typeof createModelsService>;

/**
 * Refuses a folder outside `roots` (symbolic links resolved) with one message whether or not it exists, so
 * a remote caller learns nothing about the server's other paths.
 */
async function requireUnderRoots(folder: string, roots: readonly string[]): Promise<void> {
  const real = async (p: string) => realpath(p).catch(() => path.resolve(p));
  const target = await real(folder);
  for (const root of roots) {
    const base = await real(root);
    if (target === base || target.startsWith(`${base}${path.sep}`)) return;
  }
  throw new ApiError(
    'forbidden',
    `path: this server imports models only from folders under ${roots.join(', ')} (serve --model-root)`,
  );
}

export function createModelsHandlers(
  models: ModelsService,
  roots?: readonly string[],
): Pick<ApiHandlers, keyof typeof modelsContract> {
  return {
    listModels: ({ includeRemoved }) => models.list(includeRemoved),
    // A folder with adapter_config.json is a PEFT adapter (e.g. from a cluster bundle's TRL job).
    importModel: async ({ path: folder, name }) => {
      if (roots) await requireUnderRoots(folder, roots);
      return models.toVersion(
        existsSync(path.join(folder, 'adapter_config.json'))
          ? await models.registerAdapter(folder, name)
          : await models.importCheckpoint(folder, name),
      );
    },
    removeModel: ({ modelId, withChildren, deleteFiles }) =>
      models.remove(modelId, withChildren, deleteFiles),
  };
}
