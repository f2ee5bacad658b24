// Text that must not be stored: NUL characters, unpaired UTF-16 surrogates (invalid Unicode, which SQLite
// stores as bytes no UTF-8 reader accepts) and, where a lenient decoder made the text, U+FFFD replacement
// characters. Each finding says where: line and column within the text, or the field path within a value.

export interface TextProblem {
  problem: string;
  /** 1-based line and column (in UTF-16 code units) of the first bad character. */
  line: number;
  column: number;
}

const NUL = /\0/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const REPLACEMENT = /\uFFFD/;

/** The first bad character of `text`, if any; U+FFFD counts only when `decodedLeniently`. */
export function findTextProblem(text: string, decodedLeniently = false): TextProblem | undefined {
  const found: Array<[number, string]> = [];
  const nul = NUL.exec(text);
  if (nul) found.push([nul.index, 'a NUL character']);
  const lone = LONE_SURROGATE.exec(text);
  if (lone) found.push([lone.index, 'an unpaired surrogate (invalid Unicode)']);
  if (decodedLeniently) {
    const replacement = REPLACEMENT.exec(text);
    if (replacement)
      found.push([replacement.index, 'a U+FFFD replacement character (bytes that are not text)']);
  }
  if (found.length === 0) return undefined;
  const [index, problem] = found.sort((a, b) => a[0] - b[0])[0]!;
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { problem, line: before.split('\n').length, column: index - lineStart + 1 };
}

/** "a NUL character at line 3, column 7", or "at column 7" for one-line text. */
export function describeTextProblem(text: string, found: TextProblem): string {
  return text.includes('\n')
    ? `${found.problem} at line ${found.line}, column ${found.column}`
    : `${found.problem} at column ${found.column}`;
}

/**
 * The first bad string anywhere in `value` (objects and arrays walked), as "<path>: <problem>", where the
 * path is like `chosen[1].content`; undefined when every string is clean.
 */
export function findBadString(value: unknown, decodedLeniently = false, path = ''): string | undefined {
  if (typeof value === 'string') {
    const found = findTextProblem(value, decodedLeniently);
    return found && `${path || 'text'}: ${describeTextProblem(value, found)}`;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findBadString(value[i], decodedLeniently, `${path}[${i}]`);
      if (bad) return bad;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const bad = findBadString(item, decodedLeniently, path ? `${path}.${key}` : key);
      if (bad) return bad;
    }
  }
  return undefined;
}
