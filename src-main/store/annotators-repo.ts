// Annotators: the people whose ratings are kept apart. Names are unique regardless of case.
import type Database from 'better-sqlite3';
import type { Annotator } from '../../src-shared/schemas';
import { ConflictError, isSqliteError } from './errors';

export const DEFAULT_ANNOTATOR_NAME = 'me';

const COLUMNS = 'id, name, created_at AS createdAt';

export class AnnotatorsRepo {
  readonly #db: Database.Database;
  readonly #list: Database.Statement<[], Annotator>;
  readonly #insert: Database.Statement<[string], Annotator>;
  readonly #insertIfMissing: Database.Statement<[string]>;
  readonly #byName: Database.Statement<[string], Annotator>;
  readonly #exists: Database.Statement<[number], number>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM annotators ORDER BY id`);
    this.#insert = db.prepare(`INSERT INTO annotators (name) VALUES (?) RETURNING ${COLUMNS}`);
    this.#insertIfMissing = db.prepare(
      'INSERT INTO annotators (name) VALUES (?) ON CONFLICT (name) DO NOTHING',
    );
    this.#byName = db.prepare(`SELECT ${COLUMNS} FROM annotators WHERE name = ?`);
    this.#exists = db.prepare<[number], number>('SELECT 1 FROM annotators WHERE id = ?').pluck();
  }

  list(): Annotator[] {
    return this.#list.all();
  }

  create(name: string): Annotator {
    try {
      const created = this.#insert.get(name);
      if (created === undefined) throw new Error(`inserting annotator "${name}" returned no row`);
      return created;
    } catch (error) {
      if (isSqliteError(error, 'SQLITE_CONSTRAINT_UNIQUE')) {
        throw new ConflictError(`an annotator named "${name}" already exists`, { cause: error });
      }
      throw error;
    }
  }

  /** The annotator a fresh install rates as; created on first use. */
  getOrCreateDefault(): Annotator {
    return this.#db.transaction(() => {
      this.#insertIfMissing.run(DEFAULT_ANNOTATOR_NAME);
      const found = this.#byName.get(DEFAULT_ANNOTATOR_NAME);
      if (found === undefined) throw new Error('the default annotator vanished while being created');
      return found;
    })();
  }

  exists(id: number): boolean {
    return this.#exists.get(id) !== undefined;
  }
}
