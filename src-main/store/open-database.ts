// Opens (creating if needed) <dataDir>/workbench.db with the app's pragmas and brings its schema up to date.
import { closeSync, existsSync, mkdirSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { findMigrationsDir, latestVersion, loadMigrations, migrate, refuseNewerSchema } from './migrate';
import type { Migration } from './migrate';

export const DB_FILE_NAME = 'workbench.db';

const HEADER_BYTES = 100;
const USER_VERSION_OFFSET = 60;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export interface OpenDatabaseOptions {
  /** Path to a better_sqlite3.node built for the running ABI (Electron ships its own). */
  nativeBinding?: string;
  /** Defaults to findMigrationsDir(). */
  migrationsDir?: string;
}

export interface OpenedDatabase {
  db: Database.Database;
  dbPath: string;
  schemaVersion: number;
}

export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  mkdirSync(dataDir, { recursive: true });
  const dbPath = path.join(dataDir, DB_FILE_NAME);
  const migrations = loadMigrations(options.migrationsDir ?? findMigrationsDir());
  refuseNewerFile(dbPath, migrations);
  const db = new Database(dbPath, { nativeBinding: options.nativeBinding });
  try {
    configure(db);
    const { to } = migrate(db, migrations, { dbPath });
    return { db, dbPath, schemaVersion: to };
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Reads the schema version from the file header (user_version is the big-endian int at offset 60) before
 * any connection exists: even a read-only connection leaves -wal/-shm files behind, and switching to WAL
 * rewrites the header, while a database from a newer app must stay exactly as it was. A header can only be
 * stale in WAL mode, where migrate() still refuses before writing and journal_mode = WAL changes nothing.
 */
function refuseNewerFile(dbPath: string, migrations: readonly Migration[]): void {
  const version = readHeaderUserVersion(dbPath);
  if (version !== null) refuseNewerSchema(DB_FILE_NAME, version, latestVersion(migrations));
}

function readHeaderUserVersion(dbPath: string): number | null {
  if (!existsSync(dbPath)) return null;
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(dbPath, 'r');
  try {
    if (readSync(fd, header, 0, HEADER_BYTES, 0) < HEADER_BYTES) return null;
  } finally {
    closeSync(fd);
  }
  // Not a SQLite file: better-sqlite3 reports that itself when it opens it.
  if (!header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return null;
  return header.readInt32BE(USER_VERSION_OFFSET);
}

function configure(db: Database.Database): void {
  // busy_timeout first: switching to WAL needs a lock another process (the CLI, a second window) may hold.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
}
