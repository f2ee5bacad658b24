// The migration runner: migrations/NNNN_name.sql applied in order, all pending ones in one transaction.
// PRAGMA user_version is the schema version; schema_migrations records each applied file's sha256 so an
// edited (supposedly frozen) migration is caught. A database newer than the files is refused untouched.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { sha256Hex } from './content-hash';
import { MigrationError } from './errors';

export interface Migration {
  version: number;
  /** The part of the file name after the number: `init` for 0001_init.sql. */
  name: string;
  fileName: string;
  sql: string;
  /** sha256 of the file with line endings normalised to \n, so a CRLF checkout hashes the same. */
  sha256: string;
}

export interface MigrateResult {
  from: number;
  to: number;
  /** Where the pre-migration copy went; null when there was nothing to back up or nothing to apply. */
  backupPath: string | null;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;
const FIRST_MIGRATION = '0001_init.sql';

const CREATE_HISTORY = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT`;

export function loadMigrations(dir: string): Migration[] {
  const fileNames = readdirSync(dir)
    .filter((fileName) => fileName.endsWith('.sql'))
    .sort();
  const migrations = fileNames.map((fileName) => readMigration(dir, fileName));
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(
        `${dir}: expected migration ${formatVersion(index + 1)}_*.sql but found ${migration.fileName}; ` +
          'versions must run 0001, 0002, ... without gaps or repeats',
      );
    }
  });
  return migrations;
}

function readMigration(dir: string, fileName: string): Migration {
  const match = FILE_PATTERN.exec(fileName);
  if (!match || match[1] === undefined || match[2] === undefined) {
    throw new MigrationError(`${path.join(dir, fileName)}: migration files must be named NNNN_name.sql`);
  }
  const sql = readFileSync(path.join(dir, fileName), 'utf8');
  const sha256 = sha256Hex(sql.replace(/\r\n/g, '\n'));
  return { version: Number(match[1]), name: match[2], fileName, sql, sha256 };
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/**
 * The folder holding the migration files: $DPO_WORKBENCH_MIGRATIONS if set, otherwise the first
 * `migrations/` with a 0001_init.sql found walking up from startDir (this module's folder by default, which
 * works from the sources, from electron-vite's out/main and from a packaged app alike).
 */
export function findMigrationsDir(startDir = path.dirname(fileURLToPath(import.meta.url))): string {
  const fromEnv = process.env.DPO_WORKBENCH_MIGRATIONS;
  if (fromEnv) {
    if (!existsSync(fromEnv) || !statSync(fromEnv).isDirectory()) {
      throw new MigrationError(`DPO_WORKBENCH_MIGRATIONS=${fromEnv} is not a folder`);
    }
    return path.resolve(fromEnv);
  }
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'migrations');
    if (existsSync(path.join(candidate, FIRST_MIGRATION))) return candidate;
    if (path.dirname(dir) === dir) {
      throw new MigrationError(
        `no migrations/${FIRST_MIGRATION} found in ${startDir} or any folder above it`,
      );
    }
  }
}

export const LATEST_SCHEMA_VERSION: number = latestVersion(loadMigrations(findMigrationsDir()));

export function readUserVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/** Throws the "update the app" error when a database is newer than the migration files. */
export function refuseNewerSchema(fileLabel: string, version: number, latest: number): void {
  if (version > latest) {
    throw new MigrationError(
      `${fileLabel} is at schema version ${version} but this app knows only up to ${latest}; update the app`,
    );
  }
}

export function migrate(
  db: Database.Database,
  migrations: readonly Migration[],
  options: { dbPath: string },
): MigrateResult {
  const from = readUserVersion(db);
  const label = path.basename(options.dbPath) || options.dbPath;
  refuseNewerSchema(label, from, latestVersion(migrations));
  checkHistory(db, migrations, from, label);
  const pending = migrations.filter((migration) => migration.version > from);
  const last = pending.at(-1);
  if (last === undefined) return { from, to: from, backupPath: null };
  const backupPath = isEmpty(db) ? null : backUp(db, options.dbPath, from);
  applyAll(db, pending, from, last.version);
  return { from, to: last.version, backupPath };
}

/** The applied history (schema_migrations) must match the first `version` files by name and sha256. */
function checkHistory(
  db: Database.Database,
  migrations: readonly Migration[],
  version: number,
  label: string,
) {
  if (version === 0) return;
  if (!hasTable(db, 'schema_migrations')) {
    throw new MigrationError(`${label} is at schema version ${version} but has no schema_migrations history`);
  }
  const applied = db
    .prepare<[], { version: number; name: string; sha256: string }>(
      'SELECT version, name, sha256 FROM schema_migrations ORDER BY version',
    )
    .all();
  for (const migration of migrations.slice(0, version)) {
    const row = applied.find((candidate) => candidate.version === migration.version);
    if (row === undefined) {
      throw new MigrationError(`${label} has no record of applying migration ${migration.fileName}`);
    }
    if (row.name !== migration.name || row.sha256 !== migration.sha256) {
      throw new MigrationError(
        `migration ${migration.fileName} differs from the one applied to ${label} ` +
          `(applied ${formatVersion(row.version)}_${row.name}.sql with sha256 ${row.sha256.slice(0, 12)}, ` +
          `file has ${migration.sha256.slice(0, 12)}); applied migrations are frozen: restore the file ` +
          'and put the change in a new migration',
      );
    }
  }
  if (applied.length !== version) {
    throw new MigrationError(
      `${label} records ${applied.length} applied migrations but is at version ${version}`,
    );
  }
}

function hasTable(db: Database.Database, name: string): boolean {
  const sql = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?";
  return db.prepare(sql).get(name) !== undefined;
}

function isEmpty(db: Database.Database): boolean {
  return db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get() === undefined;
}

/** VACUUM INTO writes a consistent, compacted copy (WAL content included); it cannot run in a transaction. */
function backUp(db: Database.Database, dbPath: string, from: number): string | null {
  if (dbPath === ':memory:' || dbPath === '') return null;
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const backupPath = `${dbPath}.backup-v${from}-${stamp}`;
  db.prepare('VACUUM INTO ?').run(backupPath);
  return backupPath;
}

/**
 * Applies every pending migration, records it, and sets user_version in one IMMEDIATE transaction, so a
 * failure leaves the database exactly as it was. Foreign keys are off meanwhile (the pragma is a no-op
 * inside a transaction) so a later migration can rebuild a table the SQLite way; foreign_key_check before
 * commit makes sure nothing dangles.
 */
function applyAll(db: Database.Database, pending: readonly Migration[], from: number, to: number): void {
  const foreignKeysWereOn = Number(db.pragma('foreign_keys', { simple: true })) === 1;
  if (foreignKeysWereOn) db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      if (readUserVersion(db) !== from) {
        throw new MigrationError('another process migrated the database meanwhile; open it again');
      }
      db.exec(CREATE_HISTORY);
      const record = db.prepare('INSERT INTO schema_migrations (version, name, sha256) VALUES (?, ?, ?)');
      for (const migration of pending) {
        runOne(db, migration, from);
        record.run(migration.version, migration.name, migration.sha256);
      }
      checkForeignKeys(db);
      // A pragma's value cannot be a bound parameter; `to` is an integer parsed from a file name.
      db.pragma(`user_version = ${Math.trunc(to)}`);
    }).immediate();
  } finally {
    if (foreignKeysWereOn) db.pragma('foreign_keys = ON');
  }
}

function runOne(db: Database.Database, migration: Migration, from: number): void {
  try {
    db.exec(migration.sql);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      `migration ${migration.fileName} failed: ${reason}; nothing was changed (schema version stays ${from})`,
      { cause: error },
    );
  }
}

function checkForeignKeys(db: Database.Database): void {
  const violations = db.pragma('foreign_key_check') as Array<{
    table: string;
    rowid: number;
    parent: string;
  }>;
  const first = violations[0];
  if (first !== undefined) {
    throw new MigrationError(
      `migrations would leave ${violations.length} broken foreign keys ` +
        `(first: ${first.table} row ${first.rowid} -> ${first.parent}); nothing was changed`,
    );
  }
}

function formatVersion(version: number): string {
  return String(version).padStart(4, '0');
}
