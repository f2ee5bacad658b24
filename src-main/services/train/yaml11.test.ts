// The YAML 1.1 writer: every string comes back a string, every number a number (in the `yaml` package's
// 1.1 schema and by PyYAML's resolver patterns, which TRL and accelerate load with), nesting as written.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stringifyYaml11 } from './yaml11';

const read11 = (text: string): unknown => parse(text, { version: '1.1' });

/** PyYAML's implicit int and float resolvers (yaml/resolver.py): what safe_load turns into a number. */
const PYYAML_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PYYAML_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const TRICKY_STRINGS = [
  'no',
  'No',
  'NO',
  'yes',
  'on',
  'off',
  'y',
  'n',
  'true',
  'False',
  'null',
  '~',
  '',
  '1e3',
  '5e-5',
  '.5',
  '0x1F',
  '0o17',
  '0755',
  '1_000',
  '12:30',
  '2024-01-01',
  '2024-01-01 12:00:00',
  '.inf',
  '.nan',
  '<<',
  '=',
  'a: b',
  '- item',
  '# not a comment',
  "it's",
  '"quoted"',
  'line\nbreak',
  'tab\there',
  '\u0007bell',
  'ünïcode ✓',
  '{not: a map}',
  '[not, a, list]',
  '&anchor',
  '*alias',
  '!tag',
  '%directive',
  '@at',
  '`tick',
];

const NUMBERS = [
  0, 1, -3, 42, 0.1, -2.5, 5e-5, 1e-6, 1e-7, 1.5e-7, 3e-10, 1e21, 2.5e22, 1e-300, 123456789.125,
];

describe('stringifyYaml11', () => {
  it('writes every string so that a YAML 1.1 loader reads the same string back', () => {
    const map = Object.fromEntries(TRICKY_STRINGS.map((s, i) => [`k${i}`, s]));
    expect(read11(stringifyYaml11(map))).toEqual(map);
    expect(read11(stringifyYaml11({ list: TRICKY_STRINGS }))).toEqual({ list: TRICKY_STRINGS });
  });

  it('writes numbers that YAML 1.1 (and PyYAML) read back as the same numbers', () => {
    const text = stringifyYaml11({ list: NUMBERS });
    expect(read11(text)).toEqual({ list: NUMBERS });
    for (const line of text.trimEnd().split('\n').slice(1)) {
      const value = line.replace(/^ {2}- /, '');
      expect(PYYAML_INT.test(value) || PYYAML_FLOAT.test(value), value).toBe(true);
    }
    expect(stringifyYaml11({ a: 1e-7, b: 1e21, c: 0.5, d: 3 })).toBe('a: 1.0e-7\nb: 1.0e+21\nc: 0.5\nd: 3\n');
    expect(PYYAML_FLOAT.test('1e-7')).toBe(false); // what a plain writer gives: PyYAML reads it as a string
  });

  it('writes booleans, null, nested maps, empty containers, and quotes keys a 1.1 loader would resolve', () => {
    const value = {
      flag: false,
      on: true,
      nothing: null,
      nested: { deeper: { list: ['a', 1] }, empty: {} },
      none: [],
      'two words': 'x',
    };
    const text = stringifyYaml11({ ...value, skipped: undefined });
    expect(read11(text)).toEqual(value);
    expect(text).toContain('"on": true');
    expect(text).not.toContain('skipped');
  });

  it('refuses what it cannot write faithfully', () => {
    expect(() => stringifyYaml11({ lr: Number.NaN })).toThrow(/\$\.lr: NaN cannot be written/);
    expect(() => stringifyYaml11({ list: [[1]] })).toThrow(/\$\.list\[0\]: only numbers, strings/);
  });
});
