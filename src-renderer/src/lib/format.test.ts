// Unit tests for the Rate view's words: how a rating, a time and an import result read to a person.
import { describe, expect, it } from 'vitest';
import { choiceWords, excerpt, importSummary, parseTimestamp, seconds, splitDeviceLine } from './format';

describe('choiceWords', () => {
  it('names the screen side the person saw, with the strength', () => {
    expect(choiceWords({ shownChoice: 'left', strength: 3 })).toBe('A better, strong');
    expect(choiceWords({ shownChoice: 'right', strength: 1 })).toBe('B better, slight');
    expect(choiceWords({ shownChoice: 'left', strength: null })).toBe('A better');
  });

  it('words the choices without a winner', () => {
    expect(choiceWords({ shownChoice: 'tie', strength: null })).toBe('Tie');
    expect(choiceWords({ shownChoice: 'both_bad', strength: null })).toBe('Both bad');
    expect(choiceWords({ shownChoice: 'skip', strength: null })).toBe('Skipped');
  });
});

describe('excerpt', () => {
  it('puts a prompt on one line and cuts it with an ellipsis', () => {
    expect(excerpt('Write\n  a   haiku')).toBe('Write a haiku');
    expect(excerpt('abcdefghij', 5)).toBe('abcd…');
    expect(excerpt('abcde', 5)).toBe('abcde');
  });
});

describe('parseTimestamp', () => {
  it('reads SQLite timestamps as UTC and ISO strings as given', () => {
    expect(parseTimestamp('2025-01-02 03:04:05')?.toISOString()).toBe('2025-01-02T03:04:05.000Z');
    expect(parseTimestamp('2025-01-02T03:04:05.000Z')?.toISOString()).toBe('2025-01-02T03:04:05.000Z');
    expect(parseTimestamp('yesterday')).toBeNull();
  });
});

describe('seconds', () => {
  it('shows tenths under ten seconds and whole seconds above', () => {
    expect(seconds(8240)).toBe('8.2 s');
    expect(seconds(64_400)).toBe('64 s');
  });
});

describe('importSummary', () => {
  it('counts pairs added and duplicates in the words the Rate view shows', () => {
    const result = {
      fileName: 'prefs.jsonl',
      rows: 12,
      pairsAdded: 12,
      duplicatesSkipped: 0,
      identicalSkipped: 0,
    };
    expect(importSummary(result)).toBe('12 pairs added, 0 duplicates (12 rows in prefs.jsonl)');
    const one = { fileName: 'a.jsonl', rows: 2, pairsAdded: 1, duplicatesSkipped: 1, identicalSkipped: 0 };
    expect(importSummary(one)).toBe('1 pair added, 1 duplicate (2 rows in a.jsonl)');
    const same = { fileName: 'b.jsonl', rows: 3, pairsAdded: 1, duplicatesSkipped: 0, identicalSkipped: 2 };
    expect(importSummary(same)).toBe(
      '1 pair added, 0 duplicates, 2 rows dropped (chosen equals rejected) (3 rows in b.jsonl)',
    );
  });
});

describe('splitDeviceLine', () => {
  it('folds the reason away and leaves other lines as they are', () => {
    expect(splitDeviceLine('CPU (no CUDA: libonnxruntime_providers_cuda.so is missing (see x))')).toEqual({
      short: 'CPU (no CUDA)',
      reason: 'libonnxruntime_providers_cuda.so is missing (see x)',
    });
    expect(splitDeviceLine('CUDA')).toEqual({ short: 'CUDA', reason: null });
    expect(splitDeviceLine('CPU')).toEqual({ short: 'CPU', reason: null });
  });
});
