// Errors the store raises for conditions a caller can act on; services map them onto API error codes.
import Database from 'better-sqlite3';

/** A write would break a uniqueness rule (a second live rating, a duplicate name). */
export class ConflictError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/** A row the caller referred to does not exist. */
export class NotFoundError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** The database and the migration files disagree; the database file was left as it was. */
export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** better-sqlite3 reports constraint failures as SqliteError with an extended result code. */
export function isSqliteError(error: unknown, code: string): boolean {
  return error instanceof Database.SqliteError && error.code === code;
}
