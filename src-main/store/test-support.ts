// Test helpers for the store: temporary folders and a migrated database in one, cleaned up by the caller.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase } from './open-database';

export function makeTempDir(prefix = 'dpo-store-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes `{ '0001_a.sql': sql, ... }` into a fresh temporary migrations folder. */
export function writeMigrations(files: Record<string, string>, dir = makeTempDir('dpo-migrations-')): string {
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql);
  return dir;
}

export interface TempDatabase {
  db: Database.Database;
  dir: string;
  dispose: () => void;
}

/** A workbench.db migrated with the real migrations/ in its own temporary data folder. */
export function openTempDatabase(): TempDatabase {
  const dir = makeTempDir();
  const { db } = openDatabase(dir);
  return {
    db,
    dir,
    dispose: () => {
      db.close();
      removeDir(dir);
    },
  };
}

/** Inserts a prompt with two candidates and a pair of them; returns the ids. */
export function insertPair(db: Database.Database, promptText: string) {
  const prompt = db.prepare<[string, string], number>(
    'INSERT INTO prompts (text, content_hash) VALUES (?, ?) RETURNING id',
  );
  const candidate = db.prepare<[number, string, string], number>(
    "INSERT INTO candidates (prompt_id, text, source, content_hash) VALUES (?, ?, 'generated', ?) RETURNING id",
  );
  const pair = db.prepare<[number, number, number], number>(
    "INSERT INTO pairs (prompt_id, candidate_a_id, candidate_b_id, origin) VALUES (?, ?, ?, 'random') RETURNING id",
  );
  const promptId = idOf(prompt.pluck().get(promptText, `hash:${promptText}`));
  const candidateAId = idOf(candidate.pluck().get(promptId, `${promptText} / A`, `${promptText}:a`));
  const candidateBId = idOf(candidate.pluck().get(promptId, `${promptText} / B`, `${promptText}:b`));
  const pairId = idOf(pair.pluck().get(promptId, candidateAId, candidateBId));
  return { promptId, candidateAId, candidateBId, pairId };
}

function idOf(id: number | undefined): number {
  if (id === undefined) throw new Error('INSERT ... RETURNING id returned no row');
  return id;
}
