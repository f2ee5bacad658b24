// Brings a PEFT LoRA adapter trained elsewhere (e.g. by the cluster bundle's TRL job) back as a tuned
// version of a registered model: adapter_config.json's base_model_name_or_path picks the base, and the
// adapter's tensors must fit that base's modules before anything is stored.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readModelConfig } from '../../models/index';
import { ModelsRepo, type ModelRow } from '../../store/models-repo';
import { openDatabase } from '../../store/open-database';
import { loraModules, loraStateFrom, readPeftAdapter } from '../../train/index';
import { safetensorsReader } from '../train/train-job';

export interface ImportAdapterOptions {
  /** The version to attach the adapter to; otherwise found from base_model_name_or_path. */
  baseModelId?: number | undefined;
  name?: string | undefined;
}

function configName(row: ModelRow): string | null {
  const config = row.config as { _name_or_path?: unknown } | null;
  return typeof config?._name_or_path === 'string' ? config._name_or_path : null;
}

/**
 * The live base model (not a tuned version) that `base` names: its folder, its config.json
 * `_name_or_path`, or its name, in that order; several equally good matches are refused.
 */
export function findBaseModel(rows: readonly ModelRow[], base: string, where: string): ModelRow {
  const bases = rows.filter((row) => row.kind !== 'trained' && row.removedAt === null);
  const resolved = path.isAbsolute(base) ? path.resolve(base) : null;
  const tests: Array<(row: ModelRow) => boolean> = [
    (row) => resolved !== null && row.path === resolved,
    (row) => configName(row) === base,
    (row) => row.name === base || path.basename(row.path) === path.basename(base),
  ];
  for (const test of tests) {
    const found = bases.filter(test);
    if (found.length === 1) return found[0]!;
    if (found.length > 1)
      throw new Error(
        `${where}: base_model_name_or_path "${base}" matches ${found.length} models (${found.map((r) => `"${r.name}"`).join(', ')}); choose the base model explicitly`,
      );
  }
  throw new Error(
    `${where}: base_model_name_or_path "${base}" matches no imported model; import the base model first, or choose it explicitly`,
  );
}

/** Registers `adapterDir` as a tuned version; returns the new row. */
export async function importAdapter(
  repo: ModelsRepo,
  adapterDir: string,
  options: ImportAdapterOptions = {},
): Promise<ModelRow> {
  const folder = path.resolve(adapterDir);
  const configPath = path.join(folder, 'adapter_config.json');
  const adapter = await readPeftAdapter(folder, safetensorsReader); // names the file at fault
  const rawConfig = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  let base: ModelRow;
  if (options.baseModelId !== undefined) {
    const row = repo.get(options.baseModelId);
    if (!row || row.removedAt !== null || row.kind === 'trained')
      throw new Error(`baseModelId: no base model with id ${options.baseModelId}`);
    base = row;
  } else {
    const named = rawConfig.base_model_name_or_path;
    if (typeof named !== 'string' || named === '')
      throw new Error(`${configPath}: base_model_name_or_path is missing; choose the base model explicitly`);
    base = findBaseModel(repo.list(), named, configPath);
  }
  const taken = repo.list().find((row) => row.adapterPath === folder);
  if (taken) throw new Error(`${folder}: already registered as model "${taken.name}"`);
  // Every adapter tensor must belong to a LoRA module of the base with the same shape.
  loraStateFrom(adapter, loraModules(readModelConfig(base.path), adapter.targetModules), folder);
  return repo.insert({
    name: options.name || `${base.name} + ${path.basename(folder)}`,
    kind: 'trained',
    path: base.path,
    adapterPath: folder,
    architecture: base.architecture,
    dtype: base.dtype,
    parameterCount: base.parameterCount,
    parentId: base.id,
    config: rawConfig,
  });
}

/** The command line's entry: imports into a data folder's database. */
export async function importAdapterAt(
  dataDir: string,
  adapterDir: string,
  options: ImportAdapterOptions = {},
): Promise<ModelRow> {
  const { db } = openDatabase(dataDir);
  try {
    return await importAdapter(new ModelsRepo(db), adapterDir, options);
  } finally {
    db.close();
  }
}
