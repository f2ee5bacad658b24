// Python semantics for @huggingface/jinja's string methods and its `trim` and `title` filters, where chat
// templates meet the difference. transformers renders chat templates with Python's jinja2, where
// `s.lstrip('\n')` is Python's str.lstrip: it strips only the characters given. @huggingface/jinja 0.5
// ignores the argument and strips all whitespace (Qwen3's template then eats the leading spaces of an
// assistant turn), strips JS whitespace rather than Python's, counts `length` in UTF-16 units, and lacks
// rsplit/find/count.
//
// This is a patch in the upstream's own shape: StringValue's `builtins` map and the interpreter's filter
// step are extended in place, once, when this module is imported (so every Template in the process renders
// the Python way). The str functions below are pure and exported, ready to move upstream as they are.
// jinja-python.test.ts compares each method with renders made by Python's jinja2
// (fixtures/jinja-python/cases.json, written by scripts/jinja-fixtures/make_jinja_python_cases.py).
import { Environment, Interpreter, Template } from '@huggingface/jinja';

export { Template };

/** The runtime values of @huggingface/jinja as far as this adapter touches them (not exported upstream). */
interface RuntimeValue {
  type: string;
  value: unknown;
  readonly builtins: ReadonlyMap<string, RuntimeValue>;
}
type Ctor<V> = new (value: V) => RuntimeValue;
type Builtin = (args: RuntimeValue[]) => RuntimeValue;

const probe = new Environment() as unknown as { set(name: string, value: unknown): RuntimeValue };
const ctorOf = <V>(name: string, value: unknown): Ctor<V> =>
  (probe.set(name, value) as unknown as { constructor: Ctor<V> }).constructor;
const StringValue = ctorOf<string>('s', '');
const IntegerValue = ctorOf<number>('i', 0);
const BooleanValue = ctorOf<boolean>('b', true);
const ArrayValue = ctorOf<RuntimeValue[]>('a', []);
const FunctionValue = (new StringValue('').builtins.get('upper') as unknown as { constructor: Ctor<Builtin> })
  .constructor;

const str = (value: string): RuntimeValue => new StringValue(value);
const int = (value: number): RuntimeValue => new IntegerValue(value);

// ---- Python's str semantics on JS strings (indices count code points, as Python's do) ----

/** Python's str.isspace() for one character. */
export function isPySpace(ch: string): boolean {
  const c = ch.codePointAt(0) as number;
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** str.strip / lstrip / rstrip: `chars` undefined or null strips whitespace, else exactly those characters. */
export function pyStrip(
  s: string,
  chars: string | null | undefined,
  side: 'both' | 'left' | 'right',
): string {
  const set = chars == null ? undefined : new Set(Array.from(chars));
  const drop = (ch: string): boolean => (set ? set.has(ch) : isPySpace(ch));
  const cps = Array.from(s);
  let start = 0;
  let end = cps.length;
  if (side !== 'right') while (start < end && drop(cps[start] as string)) start += 1;
  if (side !== 'left') while (end > start && drop(cps[end - 1] as string)) end -= 1;
  return cps.slice(start, end).join('');
}

/** str.split(sep=None, maxsplit=-1). */
export function pySplit(s: string, sep: string | null | undefined, maxsplit = -1): string[] {
  const limit = maxsplit < 0 ? Infinity : maxsplit;
  if (sep != null) {
    if (sep === '') throw new Error('ValueError: empty separator');
    const parts: string[] = [];
    let from = 0;
    while (parts.length < limit) {
      const at = s.indexOf(sep, from);
      if (at < 0) break;
      parts.push(s.slice(from, at));
      from = at + sep.length;
    }
    parts.push(s.slice(from));
    return parts;
  }
  const cps = Array.from(s);
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    while (i < cps.length && isPySpace(cps[i] as string)) i += 1;
    if (i >= cps.length) break;
    if (parts.length >= limit) {
      parts.push(cps.slice(i).join(''));
      break;
    }
    const start = i;
    while (i < cps.length && !isPySpace(cps[i] as string)) i += 1;
    parts.push(cps.slice(start, i).join(''));
  }
  return parts;
}

/** str.rsplit(sep=None, maxsplit=-1). */
export function pyRsplit(s: string, sep: string | null | undefined, maxsplit = -1): string[] {
  const limit = maxsplit < 0 ? Infinity : maxsplit;
  if (sep != null) {
    if (sep === '') throw new Error('ValueError: empty separator');
    const parts: string[] = [];
    let to = s.length;
    while (parts.length < limit) {
      const at = to - sep.length < 0 ? -1 : s.lastIndexOf(sep, to - sep.length);
      if (at < 0) break;
      parts.push(s.slice(at + sep.length, to));
      to = at;
    }
    parts.push(s.slice(0, to));
    return parts.reverse();
  }
  const cps = Array.from(s);
  const parts: string[] = [];
  let i = cps.length;
  for (;;) {
    while (i > 0 && isPySpace(cps[i - 1] as string)) i -= 1;
    if (i <= 0) break;
    if (parts.length >= limit) {
      parts.push(cps.slice(0, i).join(''));
      break;
    }
    const end = i;
    while (i > 0 && !isPySpace(cps[i - 1] as string)) i -= 1;
    parts.push(cps.slice(i, end).join(''));
  }
  return parts.reverse();
}

/**
 * s[start:end] in code points, as Python's find/count/startswith bound it; undefined when the window is
 * shorter than `sub` (Python answers "no" then, even for an empty `sub` past the end).
 */
function window(
  s: string,
  sub: string,
  start?: number | null,
  end?: number | null,
): { text: string; offset: number } | undefined {
  const cps = Array.from(s);
  const n = cps.length;
  const from = start == null ? 0 : start < 0 ? Math.max(n + start, 0) : start;
  const to = end == null ? n : end < 0 ? Math.max(n + end, 0) : Math.min(end, n);
  if (to - from < Array.from(sub).length) return undefined;
  return { text: cps.slice(from, to).join(''), offset: from };
}

/** str.startswith / str.endswith with a string or a tuple of strings, and optional start / end. */
export function pyStartsOrEndsWith(
  s: string,
  affix: string | readonly string[],
  which: 'start' | 'end',
  start?: number | null,
  end?: number | null,
): boolean {
  const affixes = typeof affix === 'string' ? [affix] : affix;
  return affixes.some((a) => {
    const w = window(s, a, start, end);
    return w !== undefined && (which === 'start' ? w.text.startsWith(a) : w.text.endsWith(a));
  });
}

const codePointIndex = (text: string, utf16Index: number): number =>
  Array.from(text.slice(0, utf16Index)).length;

/** str.find / str.rfind: the code-point index of `sub` in s[start:end], or -1. */
export function pyFind(
  s: string,
  sub: string,
  which: 'first' | 'last',
  start?: number | null,
  end?: number | null,
): number {
  const w = window(s, sub, start, end);
  if (!w) return -1;
  const at = which === 'first' ? w.text.indexOf(sub) : w.text.lastIndexOf(sub);
  return at < 0 ? -1 : w.offset + codePointIndex(w.text, at);
}

/** str.count: non-overlapping occurrences of `sub` in s[start:end] (an empty `sub` counts len + 1). */
export function pyCount(s: string, sub: string, start?: number | null, end?: number | null): number {
  const w = window(s, sub, start, end);
  if (!w) return 0;
  if (sub === '') return Array.from(w.text).length + 1;
  let count = 0;
  for (let at = w.text.indexOf(sub); at >= 0; at = w.text.indexOf(sub, at + sub.length)) count += 1;
  return count;
}

const CASED = /[\p{Lu}\p{Ll}\p{Lt}]/u;

/** The four Latin digraphs with a title-case form of their own (JS has no toTitleCase). */
const TITLE_DIGRAPHS: Record<string, string> = {
  Ǆ: 'ǅ',
  ǅ: 'ǅ',
  ǆ: 'ǅ',
  Ǉ: 'ǈ',
  ǈ: 'ǈ',
  ǉ: 'ǈ',
  Ǌ: 'ǋ',
  ǋ: 'ǋ',
  ǌ: 'ǋ',
  Ǳ: 'ǲ',
  ǲ: 'ǲ',
  ǳ: 'ǲ',
};

/** One character's title case, as Python's str.title/capitalize write it (ß -> Ss, ﬁ -> Fi, ǆ -> ǅ). */
function titleChar(ch: string): string {
  const digraph = TITLE_DIGRAPHS[ch];
  if (digraph) return digraph;
  const [first = '', ...rest] = Array.from(ch.toUpperCase());
  return first + rest.join('').toLowerCase();
}

/** str.capitalize: the first character title-cased, the rest lower-cased. */
export function pyCapitalize(s: string): string {
  const [first = '', ...rest] = Array.from(s);
  return titleChar(first) + rest.join('').toLowerCase();
}

/** str.title: a cased character after a cased one is lower-cased, any other title-cased. */
export function pyTitle(s: string): string {
  let previousCased = false;
  let out = '';
  for (const ch of s) {
    out += previousCased ? ch.toLowerCase() : titleChar(ch);
    previousCased = CASED.test(ch);
  }
  return out;
}

/**
 * jinja2's `title` filter (do_title), which is not str.title: words begin after runs of whitespace, `-`,
 * `(`, `{`, `[` or `<`; each word's first character is upper-cased and the rest lower-cased.
 */
export function jinjaTitleFilter(s: string): string {
  let out = '';
  let wordStart = true;
  for (const ch of s) {
    const boundary = isPySpace(ch) || '-({[<'.includes(ch);
    out += boundary ? ch : wordStart ? ch.toUpperCase() : ch.toLowerCase();
    wordStart = boundary;
  }
  return out;
}

// ---- Arguments as Python passes them: positional, then keywords (a trailing KeywordArgumentsValue) ----

function pyArgs(
  method: string,
  args: RuntimeValue[],
  names: readonly string[],
): (RuntimeValue | undefined)[] {
  const positional = [...args];
  const last = positional[positional.length - 1];
  const keywords =
    last?.type === 'KeywordArgumentsValue'
      ? ((positional.pop() as RuntimeValue).value as Map<string, RuntimeValue>)
      : undefined;
  if (positional.length > names.length)
    throw new Error(`${method}() takes at most ${names.length} arguments (${positional.length} given)`);
  const out: (RuntimeValue | undefined)[] = names.map((_, i) => positional[i]);
  for (const [key, value] of keywords ?? []) {
    const i = names.indexOf(key);
    if (i < 0) throw new Error(`${method}() got an unexpected keyword argument '${key}'`);
    if (out[i] !== undefined) throw new Error(`${method}() got multiple values for argument '${key}'`);
    out[i] = value;
  }
  return out;
}

const isNone = (v: RuntimeValue | undefined): boolean =>
  v === undefined || v.type === 'NullValue' || v.type === 'UndefinedValue';

function optionalString(method: string, v: RuntimeValue | undefined): string | null {
  if (isNone(v)) return null;
  if (v?.type !== 'StringValue') throw new Error(`${method}() argument must be str or None, not ${v?.type}`);
  return v.value as string;
}

function requiredString(method: string, v: RuntimeValue | undefined): string {
  if (v?.type !== 'StringValue')
    throw new Error(`${method}() argument must be str, not ${v?.type ?? 'nothing'}`);
  return v.value as string;
}

function optionalInt(method: string, v: RuntimeValue | undefined): number | null {
  if (isNone(v)) return null;
  if (v?.type === 'IntegerValue') return v.value as number;
  if (v?.type === 'BooleanValue') return v.value ? 1 : 0;
  throw new Error(`${method}() slice indices must be integers or None, not ${v?.type}`);
}

function affixOf(method: string, v: RuntimeValue | undefined): string | string[] {
  if (v?.type === 'StringValue') return v.value as string;
  if (v?.type === 'TupleValue' || v?.type === 'ArrayValue') {
    return (v.value as RuntimeValue[]).map((item) => {
      if (item.type !== 'StringValue') throw new Error(`${method}() tuple elements must be strings`);
      return item.value as string;
    });
  }
  throw new Error(`${method}() first arg must be str or a tuple of str, not ${v?.type ?? 'nothing'}`);
}

const list = (items: string[]): RuntimeValue => new ArrayValue(items.map(str));

/** The Python-semantics methods, each as a function of the receiver string. */
const METHODS: Record<string, (s: string) => Builtin> = {
  strip: (s) => (args) =>
    str(pyStrip(s, optionalString('strip', pyArgs('strip', args, ['chars'])[0]), 'both')),
  lstrip: (s) => (args) =>
    str(pyStrip(s, optionalString('lstrip', pyArgs('lstrip', args, ['chars'])[0]), 'left')),
  rstrip: (s) => (args) =>
    str(pyStrip(s, optionalString('rstrip', pyArgs('rstrip', args, ['chars'])[0]), 'right')),
  split: (s) => (args) => {
    const [sep, maxsplit] = pyArgs('split', args, ['sep', 'maxsplit']);
    return list(pySplit(s, optionalString('split', sep), optionalInt('split', maxsplit) ?? -1));
  },
  rsplit: (s) => (args) => {
    const [sep, maxsplit] = pyArgs('rsplit', args, ['sep', 'maxsplit']);
    return list(pyRsplit(s, optionalString('rsplit', sep), optionalInt('rsplit', maxsplit) ?? -1));
  },
  startswith: (s) => (args) => {
    const [prefix, start, end] = pyArgs('startswith', args, ['prefix', 'start', 'end']);
    const bounds = [optionalInt('startswith', start), optionalInt('startswith', end)] as const;
    return new BooleanValue(pyStartsOrEndsWith(s, affixOf('startswith', prefix), 'start', ...bounds));
  },
  endswith: (s) => (args) => {
    const [suffix, start, end] = pyArgs('endswith', args, ['suffix', 'start', 'end']);
    const bounds = [optionalInt('endswith', start), optionalInt('endswith', end)] as const;
    return new BooleanValue(pyStartsOrEndsWith(s, affixOf('endswith', suffix), 'end', ...bounds));
  },
  find: (s) => (args) => {
    const [sub, start, end] = pyArgs('find', args, ['sub', 'start', 'end']);
    return int(
      pyFind(s, requiredString('find', sub), 'first', optionalInt('find', start), optionalInt('find', end)),
    );
  },
  rfind: (s) => (args) => {
    const [sub, start, end] = pyArgs('rfind', args, ['sub', 'start', 'end']);
    return int(
      pyFind(s, requiredString('rfind', sub), 'last', optionalInt('rfind', start), optionalInt('rfind', end)),
    );
  },
  count: (s) => (args) => {
    const [sub, start, end] = pyArgs('count', args, ['sub', 'start', 'end']);
    return int(
      pyCount(s, requiredString('count', sub), optionalInt('count', start), optionalInt('count', end)),
    );
  },
  capitalize: (s) => () => str(pyCapitalize(s)),
  title: (s) => () => str(pyTitle(s)),
};

const patchedMaps = new WeakSet<object>();
const PATCHED = Symbol.for('dpo-workbench.jinja-python');

function install(): void {
  const proto = StringValue.prototype as unknown as Record<symbol, boolean>;
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;

  // StringValue.builtins: the upstream map (built once per value), with the Python methods written over it.
  const descriptor = Object.getOwnPropertyDescriptor(StringValue.prototype, 'builtins');
  const upstream = descriptor?.get;
  if (!upstream)
    throw new Error('@huggingface/jinja: StringValue.builtins is not a getter; update jinja-python.ts');
  Object.defineProperty(StringValue.prototype, 'builtins', {
    configurable: true,
    get(this: RuntimeValue) {
      const map = upstream.call(this) as Map<string, RuntimeValue>;
      if (!patchedMaps.has(map)) {
        const s = this.value as string;
        for (const [name, method] of Object.entries(METHODS)) map.set(name, new FunctionValue(method(s)));
        map.set('length', int(Array.from(s).length));
        patchedMaps.add(map);
      }
      return map;
    },
  });

  // The `trim` filter is jinja2's do_trim(value, chars=None): str.strip(chars); `title` is do_title.
  type ApplyFilter = (operand: RuntimeValue, filter: FilterNode, environment: unknown) => RuntimeValue;
  interface FilterNode {
    type: string;
    value?: string;
    callee?: FilterNode;
    args?: unknown[];
  }
  const interpreter = Interpreter.prototype as unknown as {
    applyFilter: ApplyFilter;
    evaluateArguments(args: unknown[], environment: unknown): [RuntimeValue[], Map<string, RuntimeValue>];
  };
  const applyFilter = interpreter.applyFilter;
  if (typeof applyFilter !== 'function')
    throw new Error('@huggingface/jinja: Interpreter.applyFilter is missing; update jinja-python.ts');
  interpreter.applyFilter = function (this: typeof interpreter, operand, filter, environment) {
    const name =
      filter.type === 'Identifier'
        ? filter.value
        : filter.callee?.type === 'Identifier'
          ? filter.callee.value
          : undefined;
    if (name === 'title' && filter.type === 'Identifier' && operand.type === 'StringValue')
      return str(jinjaTitleFilter(operand.value as string));
    if (name === 'trim' && operand.type === 'StringValue') {
      let chars: string | null = null;
      if (filter.type === 'CallExpression') {
        const [positional, keywords] = this.evaluateArguments(filter.args ?? [], environment);
        const args =
          keywords.size > 0
            ? [...positional, { type: 'KeywordArgumentsValue', value: keywords } as RuntimeValue]
            : positional;
        chars = optionalString('trim', pyArgs('trim', args, ['chars'])[0]);
      }
      return str(pyStrip(operand.value as string, chars, 'both'));
    }
    return applyFilter.call(this, operand, filter, environment);
  };
}

install();
