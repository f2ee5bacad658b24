import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePreferenceJsonl } from './parse-preference-jsonl';

describe('parsePreferenceJsonl', () => {
  it('reads rows and skips blank lines, including CRLF endings and a BOM', () => {
    const content =
      '\uFEFF{"prompt":"p1","chosen":"c1","rejected":"r1"}\r\n\r\n{"prompt":"p2","chosen":"c2","rejected":"r2"}\n';
    expect(parsePreferenceJsonl('a.jsonl', content)).toEqual([
      { prompt: 'p1', chosen: 'c1', rejected: 'r1' },
      { prompt: 'p2', chosen: 'c2', rejected: 'r2' },
    ]);
  });

  it.each([
    ['{"prompt":"p","chosen":"c"}', 'a.jsonl line 2: field "rejected" is missing'],
    [
      '{"prompt":"p","chosen":3,"rejected":"r"}',
      'a.jsonl line 2: field "chosen" must be a string, got a number',
    ],
    ['{"prompt":"p","chosen":"c","rejected":"  "}', 'a.jsonl line 2: field "rejected" is empty'],
    ['[1,2]', 'a.jsonl line 2: expected a JSON object, got an array'],
  ])('names the line and field of a bad row: %s', (badLine, message) => {
    const content = `{"prompt":"p","chosen":"c","rejected":"r"}\n${badLine}\n`;
    expect(() => parsePreferenceJsonl('a.jsonl', content)).toThrow(message);
  });

  it('reports invalid JSON with its line number', () => {
    expect(() => parsePreferenceJsonl('b.jsonl', '{"prompt": "p",\n')).toThrow(
      /^b\.jsonl line 1: not valid JSON/,
    );
  });

  it('refuses an empty file', () => {
    expect(() => parsePreferenceJsonl('c.jsonl', '\n\n')).toThrow('c.jsonl: the file has no rows');
  });

  it('reads the sample file shipped in resources/', () => {
    const content = readFileSync('resources/sample-preferences.jsonl', 'utf8');
    const rows = parsePreferenceJsonl('sample-preferences.jsonl', content);
    expect(rows).toHaveLength(12);
    expect(rows.every((row) => row.chosen !== row.rejected)).toBe(true);
  });
});
