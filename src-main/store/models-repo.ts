// Model versions (table `models`): embedded, imported checkpoints and trained adapters with their parent.
// A version's own files are in the `path` column: the checkpoint folder, or for a trained version its PEFT
// adapter folder. ModelRow.path is always the base checkpoint folder (a trained version's root ancestor),
// and ModelRow.adapterPath the adapter folder, so a caller loads `path` (+ `adapterPath`) directly.
import type Database from 'better-sqlite3';
import { NotFoundError } from './errors';

export type ModelKind = 'embedded' | 'imported' | 'trained';

export interface ModelRow {
  id: number;
  name: string;
  kind: ModelKind;
  /** The base checkpoint folder (for kind 'trained': the root ancestor's). */
  path: string;
  /** For kind 'trained': the PEFT adapter folder; null otherwise. */
  adapterPath: string | null;
  architecture: string | null;
  dtype: string | null;
  parameterCount: number | null;
  parentId: number | null;
  config: unknown;
  createdAt: string;
  removedAt: string | null;
}

/** For kind 'trained', `path` is not stored: the base folder always comes from the parent chain. */
export type NewModel = Omit<ModelRow, 'id' | 'createdAt' | 'removedAt'>;

interface StoredModel {
  id: number;
  name: string;
  kind: ModelKind;
  path: string;
  architecture: string | null;
  dtype: string | null;
  parameterCount: number | null;
  parentId: number | null;
  configJson: string | null;
  createdAt: string;
  removedAt: string | null;
}

const COLUMNS = `id, name, kind, path, architecture, dtype, parameter_count AS parameterCount,
  parent_id AS parentId, config_json AS configJson, created_at AS createdAt, removed_at AS removedAt`;

export class ModelsRepo {
  readonly #all: Database.Statement<[], StoredModel>;
  readonly #live: Database.Statement<[], StoredModel>;
  readonly #byId: Database.Statement<[number], StoredModel>;
  readonly #insert: Database.Statement<
    [string, string, string, string | null, string | null, number | null, number | null, string | null],
    StoredModel
  >;
  readonly #markRemoved: Database.Statement<[number]>;
  readonly #setPath: Database.Statement<[string, number]>;

  constructor(db: Database.Database) {
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM models ORDER BY id`);
    this.#live = db.prepare(`SELECT ${COLUMNS} FROM models WHERE removed_at IS NULL ORDER BY id`);
    this.#byId = db.prepare(`SELECT ${COLUMNS} FROM models WHERE id = ?`);
    this.#insert = db.prepare(
      `INSERT INTO models (name, kind, path, architecture, dtype, parameter_count, parent_id, config_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    );
    this.#markRemoved = db.prepare(
      "UPDATE models SET removed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? AND removed_at IS NULL",
    );
    this.#setPath = db.prepare('UPDATE models SET path = ? WHERE id = ?');
  }

  /** Versions in creation order (parents before their children); removed ones only when asked. */
  list(opts: { includeRemoved?: boolean } = {}): ModelRow[] {
    const stored = (opts.includeRemoved ? this.#all : this.#live).all();
    return stored.map((row) => this.#toRow(row));
  }

  get(id: number): ModelRow | null {
    const row = this.#byId.get(id);
    return row ? this.#toRow(row) : null;
  }

  insert(m: NewModel): ModelRow {
    let ownPath = m.path;
    if (m.kind === 'trained') {
      if (m.parentId === null)
        throw new Error(`model "${m.name}": a trained version needs its parent (base) id`);
      if (!m.adapterPath) throw new Error(`model "${m.name}": a trained version needs its adapter folder`);
      ownPath = m.adapterPath;
    } else if (m.adapterPath !== null) {
      throw new Error(`model "${m.name}": only a trained version has an adapter folder`);
    }
    if (m.parentId !== null && !this.#byId.get(m.parentId)) {
      throw new NotFoundError(`parentId: no model with id ${m.parentId}`);
    }
    const row = this.#insert.get(
      m.name,
      m.kind,
      ownPath,
      m.architecture,
      m.dtype,
      m.parameterCount,
      m.parentId,
      m.config === undefined || m.config === null ? null : JSON.stringify(m.config),
    );
    if (!row) throw new Error(`inserting model "${m.name}" returned no row`);
    return this.#toRow(row);
  }

  markRemoved(id: number): void {
    if (!this.#byId.get(id)) throw new NotFoundError(`modelId: no model with id ${id}`);
    this.#markRemoved.run(id);
  }

  /** Moves a version's own folder (the embedded model's, when the app now runs from elsewhere). */
  setOwnFolder(id: number, folder: string): void {
    this.#require(id);
    this.#setPath.run(folder, id);
  }

  /** Live versions whose parent is `id`. */
  children(id: number): ModelRow[] {
    return this.list().filter((row) => row.parentId === id);
  }

  /** The version and its ancestors, base first (base -> round 1 -> round 2 ...). */
  lineage(id: number): { id: number; name: string }[] {
    const chain: { id: number; name: string }[] = [];
    for (let current: number | null = id; current !== null;) {
      const model = this.#require(current);
      if (chain.some((m) => m.id === model.id)) throw new Error(`model ${id}: its parents form a cycle`);
      chain.unshift({ id: model.id, name: model.name });
      current = model.parentId;
    }
    return chain;
  }

  /** The folder of this version's own files: its checkpoint, or for a trained version its adapter. */
  ownFolder(id: number): string {
    return this.#require(id).path;
  }

  /** The base checkpoint folder and the optional adapter folder that load this version. */
  resolve(id: number): { modelDir: string; adapterDir?: string } {
    const row = this.#toRow(this.#require(id));
    return row.adapterPath ? { modelDir: row.path, adapterDir: row.adapterPath } : { modelDir: row.path };
  }

  #require(id: number): StoredModel {
    const row = this.#byId.get(id);
    if (!row) throw new NotFoundError(`modelId: no model with id ${id}`);
    return row;
  }

  #toRow(stored: StoredModel): ModelRow {
    const { configJson, ...rest } = stored;
    const config: unknown = configJson === null ? null : JSON.parse(configJson);
    if (stored.kind !== 'trained') return { ...rest, adapterPath: null, config };
    return { ...rest, path: this.#basePath(stored), adapterPath: stored.path, config };
  }

  /** A trained version's base checkpoint: the path of its first ancestor that is not trained. */
  #basePath(stored: StoredModel): string {
    const seen = new Set<number>();
    let current = stored;
    while (current.kind === 'trained') {
      if (seen.has(current.id) || current.parentId === null) {
        throw new Error(`model ${stored.id}: its lineage has no base checkpoint`);
      }
      seen.add(current.id);
      current = this.#require(current.parentId);
    }
    return current.path;
  }
}
