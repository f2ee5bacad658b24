// The migration runner: versions, all-or-nothing application, history checks, backups, refusing newer files.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from './content-hash';
import { MigrationError } from './errors';
import {
  LATEST_SCHEMA_VERSION,
  findMigrationsDir,
  loadMigrations,
  migrate,
  readUserVersion,
} from './migrate';
import { DB_FILE_NAME, openDatabase } from './open-database';
import { makeTempDir, removeDir, writeMigrations } from './test-support';

const dirs: string[] = [];
function tempDir(prefix?: string): string {
  const dir = makeTempDir(prefix);
  dirs.push(dir);
  return dir;
}
function migrationsDir(files: Record<string, string>): string {
  return writeMigrations(files, tempDir('dpo-migrations-'));
}
function tableNames(db: Database.Database): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
}

afterEach(() => {
  vi.unstubAllEnvs();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

describe('the real migrations', () => {
  it('derives LATEST_SCHEMA_VERSION from the files', () => {
    const migrations = loadMigrations(findMigrationsDir());
    expect(migrations[0]?.fileName).toBe('0001_init.sql');
    expect(LATEST_SCHEMA_VERSION).toBe(migrations.length);
  });

  it('brings a fresh database to the latest version and records each file', () => {
    const { db, schemaVersion, dbPath } = openDatabase(tempDir());
    try {
      expect(schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(readUserVersion(db)).toBe(LATEST_SCHEMA_VERSION);
      expect(dbPath.endsWith(DB_FILE_NAME)).toBe(true);
      const init = readFileSync(path.join(findMigrationsDir(), '0001_init.sql'), 'utf8');
      const recorded = db
        .prepare('SELECT version, name, sha256 FROM schema_migrations ORDER BY version')
        .get();
      expect(recorded).toEqual({ version: 1, name: 'init', sha256: sha256Hex(init.replace(/\r\n/g, '\n')) });
    } finally {
      db.close();
    }
  });

  it('sets the pragmas the app relies on', () => {
    const { db } = openDatabase(tempDir());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it('does nothing when reopened: no new history rows, no backup', () => {
    const dir = tempDir();
    openDatabase(dir).db.close();
    const { db, schemaVersion } = openDatabase(dir);
    try {
      expect(schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({
        n: LATEST_SCHEMA_VERSION,
      });
      expect(
        migrate(db, loadMigrations(findMigrationsDir()), { dbPath: path.join(dir, DB_FILE_NAME) }),
      ).toEqual({
        from: LATEST_SCHEMA_VERSION,
        to: LATEST_SCHEMA_VERSION,
        backupPath: null,
      });
      expect(readdirSync(dir).filter((name) => name.includes('.backup-'))).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe('migrate', () => {
  it('applies nothing when a later migration fails: user_version and tables stay as they were', () => {
    const dir = migrationsDir({
      '0001_notes.sql': "CREATE TABLE notes (body TEXT) STRICT; INSERT INTO notes VALUES ('kept');",
      '0002_broken.sql': 'CREATE TABLE tags (name TEXT); INSERT INTO no_such_table VALUES (1);',
    });
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    expect(() => migrate(db, loadMigrations(dir), { dbPath: ':memory:' })).toThrow(
      /migration 0002_broken\.sql failed: no such table: no_such_table; nothing was changed \(schema version stays 0\)/,
    );
    expect(readUserVersion(db)).toBe(0);
    expect(tableNames(db)).toEqual([]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('keeps an earlier version intact when the pending ones fail', () => {
    const files = { '0001_notes.sql': 'CREATE TABLE notes (body TEXT) STRICT;' };
    const db = new Database(':memory:');
    migrate(db, loadMigrations(migrationsDir(files)), { dbPath: ':memory:' });
    const broken = migrationsDir({
      ...files,
      '0002_tags.sql': 'CREATE TABLE tags (x TEXT); SELECT nope FROM notes;',
    });
    expect(() => migrate(db, loadMigrations(broken), { dbPath: ':memory:' })).toThrow(MigrationError);
    expect(readUserVersion(db)).toBe(1);
    expect(tableNames(db)).toEqual(['notes', 'schema_migrations']);
    db.close();
  });

  it('refuses a database newer than the files and leaves it as it was', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 7');
    const migrations = loadMigrations(findMigrationsDir());
    expect(() => migrate(db, migrations, { dbPath: '/data/workbench.db' })).toThrow(
      `workbench.db is at schema version 7 but this app knows only up to ${LATEST_SCHEMA_VERSION}; update the app`,
    );
    expect(readUserVersion(db)).toBe(7);
    expect(tableNames(db)).toEqual([]);
    db.close();
  });

  it('refuses an applied migration whose file was edited since', () => {
    const dir = migrationsDir({ '0001_notes.sql': 'CREATE TABLE notes (body TEXT) STRICT;\n' });
    const db = new Database(':memory:');
    migrate(db, loadMigrations(dir), { dbPath: ':memory:' });
    appendFileSync(path.join(dir, '0001_notes.sql'), 'CREATE INDEX notes_body ON notes (body);\n');
    writeFileSync(path.join(dir, '0002_more.sql'), 'CREATE TABLE more (x TEXT);');
    expect(() => migrate(db, loadMigrations(dir), { dbPath: ':memory:' })).toThrow(
      /migration 0001_notes\.sql differs from the one applied to :memory: .*restore the file/,
    );
    expect(readUserVersion(db)).toBe(1);
    expect(tableNames(db)).toEqual(['notes', 'schema_migrations']);
    db.close();
  });

  it('refuses an applied migration that was renamed', () => {
    const sql = 'CREATE TABLE notes (body TEXT) STRICT;';
    const db = new Database(':memory:');
    migrate(db, loadMigrations(migrationsDir({ '0001_notes.sql': sql })), { dbPath: ':memory:' });
    const renamed = loadMigrations(migrationsDir({ '0001_memos.sql': sql }));
    expect(() => migrate(db, renamed, { dbPath: ':memory:' })).toThrow(
      /0001_memos\.sql differs .*0001_notes\.sql/,
    );
    db.close();
  });

  it('hashes CRLF and LF checkouts of a file alike', () => {
    const lf = loadMigrations(
      migrationsDir({ '0001_a.sql': 'CREATE TABLE a (x TEXT);\nCREATE TABLE b (y TEXT);\n' }),
    );
    const crlf = loadMigrations(
      migrationsDir({ '0001_a.sql': 'CREATE TABLE a (x TEXT);\r\nCREATE TABLE b (y TEXT);\r\n' }),
    );
    expect(crlf[0]?.sha256).toBe(lf[0]?.sha256);
  });
});

describe('openDatabase with pending migrations', () => {
  it('backs up a non-empty database before migrating, and the backup holds the old data', () => {
    const dataDir = tempDir();
    const v1 = {
      '0001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT;',
    };
    const first = openDatabase(dataDir, { migrationsDir: migrationsDir(v1) });
    first.db.prepare('INSERT INTO notes (body) VALUES (?)').run('old data');
    first.db.close();
    expect(readdirSync(dataDir).filter((name) => name.includes('.backup-'))).toEqual([]);

    const v2 = {
      ...v1,
      '0002_stars.sql': "ALTER TABLE notes ADD COLUMN stars INTEGER; UPDATE notes SET body = 'new';",
    };
    const second = openDatabase(dataDir, { migrationsDir: migrationsDir(v2) });
    expect(second.schemaVersion).toBe(2);
    expect(second.db.prepare('SELECT body FROM notes').pluck().get()).toBe('new');
    second.db.close();

    const backups = readdirSync(dataDir).filter((name) => name.startsWith(`${DB_FILE_NAME}.backup-v1-`));
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(/^workbench\.db\.backup-v1-\d{8}T\d{9}Z$/);
    const backup = new Database(path.join(dataDir, backups[0] ?? ''), { readonly: true });
    expect(readUserVersion(backup)).toBe(1);
    expect(backup.prepare('SELECT * FROM notes').all()).toEqual([{ id: 1, body: 'old data' }]);
    backup.close();
  });

  it.each(['delete', 'wal'])(
    'refuses a newer %s-mode workbench.db without touching its bytes, mtime or side files',
    (mode) => {
      const dataDir = tempDir();
      const dbPath = path.join(dataDir, DB_FILE_NAME);
      const newer = new Database(dbPath);
      newer.pragma(`journal_mode = ${mode}`);
      newer.exec("CREATE TABLE from_the_future (x TEXT); INSERT INTO from_the_future VALUES ('keep me');");
      newer.pragma('user_version = 7');
      newer.close();
      const bytes = readFileSync(dbPath);
      const { mtimeMs } = statSync(dbPath);
      const files = readdirSync(dataDir);

      expect(() => openDatabase(dataDir)).toThrow(
        `workbench.db is at schema version 7 but this app knows only up to ${LATEST_SCHEMA_VERSION}; update the app`,
      );
      expect(readFileSync(dbPath).equals(bytes)).toBe(true);
      expect(statSync(dbPath).mtimeMs).toBe(mtimeMs);
      expect(readdirSync(dataDir)).toEqual(files);
    },
  );
});

describe('loadMigrations and findMigrationsDir', () => {
  it('rejects a gap in the numbering and a badly named file', () => {
    const gap = migrationsDir({ '0001_a.sql': 'SELECT 1;', '0003_c.sql': 'SELECT 1;' });
    expect(() => loadMigrations(gap)).toThrow(/expected migration 0002_\*\.sql but found 0003_c\.sql/);
    const badName = migrationsDir({ '0001_a.sql': 'SELECT 1;', '2-more.sql': 'SELECT 1;' });
    expect(() => loadMigrations(badName)).toThrow(
      /2-more\.sql: migration files must be named NNNN_name\.sql/,
    );
  });

  it('walks up from a nested folder to the first migrations/0001_init.sql', () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'migrations'));
    writeFileSync(path.join(root, 'migrations', '0001_init.sql'), 'SELECT 1;');
    const nested = path.join(root, 'out', 'main', 'chunks');
    mkdirSync(nested, { recursive: true });
    expect(findMigrationsDir(nested)).toBe(path.join(root, 'migrations'));
  });

  it('honours DPO_WORKBENCH_MIGRATIONS and says when it is not a folder', () => {
    const dir = migrationsDir({ '0001_init.sql': 'SELECT 1;' });
    vi.stubEnv('DPO_WORKBENCH_MIGRATIONS', dir);
    expect(findMigrationsDir()).toBe(dir);
    const missing = path.join(dir, 'missing');
    vi.stubEnv('DPO_WORKBENCH_MIGRATIONS', missing);
    expect(existsSync(missing)).toBe(false);
    expect(() => findMigrationsDir()).toThrow(`DPO_WORKBENCH_MIGRATIONS=${missing} is not a folder`);
  });
});
