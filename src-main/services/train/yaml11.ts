// A YAML writer for config files read by YAML 1.1 loaders (PyYAML's safe_load in TRL and accelerate): every
// string is double-quoted, so no value can come back as a boolean, null, number or date (`no`, `on`, `~`,
// `1e3`, `2024-01-01`, `12:30`); numbers are written in a form PyYAML reads as a number; keys stay plain only
// when no 1.1 resolver can match them.

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | YamlMap;
export interface YamlMap {
  readonly [key: string]: YamlValue | undefined;
}

/** Words a YAML 1.1 loader resolves to a boolean or null (compared case-insensitively). */
const SPECIAL_WORDS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~']);

/** A string as a double-quoted scalar: JSON's escapes (\" \\ \n \t \uXXXX ...) are all YAML 1.1 escapes. */
const quoted = (text: string): string => JSON.stringify(text);

function key(name: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !SPECIAL_WORDS.has(name.toLowerCase());
  return plain ? name : quoted(name);
}

/**
 * A number as YAML 1.1 reads it back: integers as digits; other values always with a dot and, in exponent
 * form, a signed exponent (PyYAML's float pattern needs both: it reads `1e-7` as a string, `1.0e-7` as 1e-7).
 */
function number(value: number, where: string): string {
  if (!Number.isFinite(value)) throw new Error(`${where}: ${value} cannot be written to YAML`);
  const text = String(value);
  if (/^-?\d+$/.test(text)) return text;
  const [mantissa = '', exponent] = text.split('e');
  const dotted = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  if (exponent === undefined) return dotted;
  return `${dotted}e${/^[-+]/.test(exponent) ? exponent : `+${exponent}`}`;
}

function scalar(value: YamlValue, where: string): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return number(value, where);
  return undefined;
}

function lines(value: YamlMap | readonly YamlValue[], indent: string, where: string): string[] {
  const list = Array.isArray(value);
  // [the text before the value, the value, its path for errors]
  const entries: [string, YamlValue, string][] = list
    ? (value as readonly YamlValue[]).map((v, i) => ['- ', v, `${where}[${i}]`])
    : Object.entries(value as YamlMap).flatMap(([k, v]) =>
        v === undefined ? [] : [[`${key(k)}: `, v, `${where}.${k}`] as [string, YamlValue, string]],
      );
  const out: string[] = [];
  for (const [lead, v, at] of entries) {
    const text = scalar(v, at);
    if (text !== undefined) out.push(`${indent}${lead}${text}`);
    else if (list) throw new Error(`${at}: only numbers, strings, booleans and null are written in a list`);
    else if (Array.isArray(v) && v.length === 0) out.push(`${indent}${lead}[]`);
    else if (!Array.isArray(v) && Object.keys(v as YamlMap).length === 0) out.push(`${indent}${lead}{}`);
    else
      out.push(
        `${indent}${lead.trimEnd()}`,
        ...lines(v as YamlMap | readonly YamlValue[], `${indent}  `, at),
      );
  }
  return out;
}

/** A block-style YAML document of `map`; undefined values are left out. */
export function stringifyYaml11(map: YamlMap): string {
  const body = lines(map, '', '$');
  return body.length === 0 ? '{}\n' : `${body.join('\n')}\n`;
}
