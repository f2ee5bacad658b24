// Small application settings as JSON values under a key (0002_labeling: the reason tags of the Rate view).
import type Database from 'better-sqlite3';

export class SettingsRepo {
  readonly #get: Database.Statement<[string], string>;
  readonly #set: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.#get = db.prepare<[string], string>('SELECT value_json FROM settings WHERE key = ?').pluck();
    this.#set = db.prepare(
      `INSERT INTO settings (key, value_json) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json,
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    );
  }

  /** The parsed JSON value, or undefined when the key was never set. */
  get(key: string): unknown {
    const json = this.#get.get(key);
    return json === undefined ? undefined : JSON.parse(json);
  }

  set(key: string, value: unknown): void {
    this.#set.run(key, JSON.stringify(value));
  }
}
