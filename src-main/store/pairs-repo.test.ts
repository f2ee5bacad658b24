// PairsRepo: importing TRL preference rows (dedupe by content, one transaction) and reading pairs back.
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairsRepo } from './pairs-repo';
import type { PreferenceRow } from './pairs-repo';
import { openTempDatabase } from './test-support';
import type { TempDatabase } from './test-support';

let temp: TempDatabase;
let repo: PairsRepo;
beforeEach(() => {
  temp = openTempDatabase();
  repo = new PairsRepo(temp.db);
});
afterEach(() => temp.dispose());

function count(db: Database.Database, table: 'prompts' | 'candidates' | 'pairs'): unknown {
  return db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get();
}

const ROWS: PreferenceRow[] = [
  { prompt: 'Name a colour.', chosen: 'Blue.', rejected: 'Seven.' },
  { prompt: 'Name a colour.', chosen: 'Red.', rejected: 'Seven.' },
  { prompt: 'Name a colour.', chosen: 'Blue.', rejected: 'Seven.' },
  { prompt: 'Say hi.', chosen: 'Hi!', rejected: 'Hi!' },
  { prompt: 'Say hi.', chosen: 'Hello!', rejected: 'Go away.' },
];

describe('PairsRepo.importPreferencePairs', () => {
  it('stores each prompt, response and pair once, skipping repeats and chosen == rejected', () => {
    expect(repo.importPreferencePairs(ROWS)).toMatchObject({ pairsAdded: 3, duplicatesSkipped: 2 });
    expect(count(temp.db, 'prompts')).toBe(2);
    expect(count(temp.db, 'candidates')).toBe(5);
    expect(repo.countAll()).toBe(3);
  });

  it('counts every row of a file imported twice as a duplicate and stores nothing new', () => {
    repo.importPreferencePairs(ROWS);
    expect(repo.importPreferencePairs(ROWS)).toMatchObject({ pairsAdded: 0, duplicatesSkipped: 5 });
    expect(count(temp.db, 'candidates')).toBe(5);
    expect(repo.countAll()).toBe(3);
  });

  it('keeps the chosen response as candidate a and marks the imported preference', () => {
    repo.importPreferencePairs(ROWS.slice(0, 1));
    expect(repo.getPair(1)).toEqual({
      id: 1,
      promptId: 1,
      prompt: 'Name a colour.',
      candidateA: { id: 1, text: 'Blue.' },
      candidateB: { id: 2, text: 'Seven.' },
    });
    const row = temp.db.prepare('SELECT origin, imported_preference FROM pairs WHERE id = 1').get();
    expect(row).toEqual({ origin: 'import', imported_preference: 'a' });
    expect(temp.db.prepare('SELECT DISTINCT source FROM candidates').pluck().all()).toEqual(['imported']);
  });

  it('treats the reversed preference of an imported pair as the same pair', () => {
    repo.importPreferencePairs(ROWS.slice(0, 1));
    const reversed = { prompt: 'Name a colour.', chosen: 'Seven.', rejected: 'Blue.' };
    expect(repo.importPreferencePairs([reversed])).toMatchObject({ pairsAdded: 0, duplicatesSkipped: 1 });
    expect(repo.countAll()).toBe(1);
  });

  it('stores nothing when a row fails half way', () => {
    const broken = [
      ...ROWS.slice(0, 2),
      { prompt: 'x', chosen: 5, rejected: 'y' } as unknown as PreferenceRow,
    ];
    expect(() => repo.importPreferencePairs(broken)).toThrow();
    expect(count(temp.db, 'prompts')).toBe(0);
    expect(repo.countAll()).toBe(0);
  });

  it('answers undefined for a pair that does not exist', () => {
    expect(repo.getPair(42)).toBeUndefined();
    expect(repo.countAll()).toBe(0);
  });
});

describe('PairsRepo: conversational prompts, prompt lists and pairs by strategy', () => {
  it('keeps a conversational prompt with its turns and reports which pair each row became', () => {
    const messages = [{ role: 'user', content: 'Name a colour.' }];
    const counts = repo.importPreferencePairs([{ ...ROWS[0]!, promptMessages: messages }, ROWS[0]!]);
    expect(counts).toEqual({
      pairsAdded: 1,
      duplicatesSkipped: 1,
      pairs: [
        { pairId: 1, chosenCandidateId: 1, rejectedCandidateId: 2 },
        { pairId: 1, chosenCandidateId: 1, rejectedCandidateId: 2 },
      ],
    });
    expect(temp.db.prepare('SELECT messages_json FROM prompts').pluck().get()).toBe(JSON.stringify(messages));
  });

  it('imports prompts without candidates, each once', () => {
    const rows = [
      { text: 'one', messages: null },
      { text: 'two', messages: null },
      { text: 'one', messages: null },
    ];
    expect(repo.importPrompts(rows)).toEqual({ promptsAdded: 2, duplicatesSkipped: 1, promptIds: [1, 2, 1] });
    expect(count(temp.db, 'candidates')).toBe(0);
  });

  it('adds a pair with its origin once, in either order, and finds it by its two candidates', () => {
    repo.importPreferencePairs([ROWS[0]!, ROWS[1]!]);
    expect(repo.addPair(1, 3, 1, 'rank')).toEqual({ pairId: 3, added: true });
    expect(repo.addPair(1, 1, 3, 'rank')).toEqual({ pairId: 3, added: false });
    expect(repo.pairOf(2, 1)).toBe(1);
    expect(repo.pairOf(2, 3)).toBe(2);
    expect(temp.db.prepare('SELECT origin FROM pairs WHERE id = 3').pluck().get()).toBe('rank');
  });
});
