// Shapes with numeric or symbolic dims ('batch', 'seq', 'batch*seq', 'past+seq'), broadcasting and axis rules.

/** A dimension: a known size, or a symbol that is fixed only when the graph runs. */
export type Dim = number | string;
export type Shape = readonly Dim[];

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/**
 * A symbolic dim as a polynomial: symbol products ('batch*seq', '' for the constant term) -> coefficient.
 * This lets 'seq-1+1' equal 'seq' and 'past+seq' equal 'seq+past', enough for slices, concats and reshapes.
 */
type Polynomial = Map<string, number>;

function parse(dim: Dim): Polynomial {
  const poly: Polynomial = new Map();
  if (typeof dim === 'number') return addTerm(poly, '', dim);
  for (const [, sign, term] of dim.replace(/\s+/g, '').matchAll(/([+-]?)([^+-]+)/g)) {
    let coefficient = sign === '-' ? -1 : 1;
    const symbols: string[] = [];
    for (const factor of (term as string).split('*')) {
      if (/^\d+$/.test(factor)) coefficient *= Number(factor);
      else symbols.push(factor);
    }
    addTerm(poly, symbols.sort().join('*'), coefficient);
  }
  return poly;
}

function addTerm(poly: Polynomial, key: string, coefficient: number): Polynomial {
  const total = (poly.get(key) ?? 0) + coefficient;
  if (total === 0) poly.delete(key);
  else poly.set(key, total);
  return poly;
}

function format(poly: Polynomial): Dim {
  const keys = [...poly.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return 0;
  if (keys.length === 1 && keys[0] === '') return poly.get('') as number;
  return keys
    .map((key, i) => {
      const c = poly.get(key) as number;
      const magnitude = key === '' ? String(Math.abs(c)) : Math.abs(c) === 1 ? key : `${Math.abs(c)}*${key}`;
      return c < 0 ? `-${magnitude}` : i === 0 ? magnitude : `+${magnitude}`;
    })
    .join('');
}

/** The canonical spelling of a dim ('seq-1+1' -> 'seq', '2*3' -> 6). */
export function canonicalDim(dim: Dim): Dim {
  return format(parse(dim));
}

export function dimsEqual(a: Dim, b: Dim): boolean {
  return canonicalDim(a) === canonicalDim(b);
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimsEqual(d, b[i] as Dim));
}

export function addDims(a: Dim, b: Dim): Dim {
  const poly = parse(a);
  for (const [key, c] of parse(b)) addTerm(poly, key, c);
  return format(poly);
}

export function mulDims(a: Dim, b: Dim): Dim {
  const poly: Polynomial = new Map();
  for (const [ka, ca] of parse(a)) {
    for (const [kb, cb] of parse(b)) {
      const key = [...ka.split('*'), ...kb.split('*')]
        .filter((s) => s !== '')
        .sort()
        .join('*');
      addTerm(poly, key, ca * cb);
    }
  }
  return format(poly);
}

/** a / b when b is a single term that divides every term of a exactly, else undefined. */
export function divDims(a: Dim, b: Dim): Dim | undefined {
  const divisor = [...parse(b)];
  if (divisor.length !== 1) return dimsEqual(a, b) ? 1 : undefined;
  const [divisorKey, divisorCoefficient] = divisor[0] as [string, number];
  const divisorSymbols = divisorKey === '' ? [] : divisorKey.split('*');
  const poly: Polynomial = new Map();
  for (const [key, c] of parse(a)) {
    const symbols = key === '' ? [] : key.split('*');
    for (const s of divisorSymbols) {
      const at = symbols.indexOf(s);
      if (at < 0) return undefined;
      symbols.splice(at, 1);
    }
    if (c % divisorCoefficient !== 0) return undefined;
    addTerm(poly, symbols.join('*'), c / divisorCoefficient);
  }
  return format(poly);
}

export function numel(shape: Shape): Dim {
  return shape.reduce<Dim>((acc, d) => mulDims(acc, d), 1);
}

/** The element count when every dim is known, else undefined. */
export function staticSize(shape: Shape): number | undefined {
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    size *= d;
  }
  return size;
}

/**
 * Numpy broadcasting. A symbolic dim broadcasts with 1 and with itself only: pairing 'batch' with 5 is an
 * error, because the backward pass must know statically which dims were broadcast.
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (dimsEqual(da, db) || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new Error(`${op}: shapes do not broadcast: ${formatShape(a)} and ${formatShape(b)}`);
  }
  return out;
}

/** Resolves a possibly negative axis against a rank, naming the op when it is out of range. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const resolved = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(resolved) || resolved < 0 || resolved >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return resolved;
}

export function normalizeAxes(op: string, axes: readonly number[], rank: number): number[] {
  const resolved = axes.map((a) => normalizeAxis(op, a, rank));
  if (new Set(resolved).size !== resolved.length)
    throw new Error(`${op}: repeated axis in [${axes.join(',')}]`);
  return resolved.sort((x, y) => x - y);
}
