// Test-only float64 reference implementations in plain JS, independent of the engine and of onnxruntime.

export class Nd {
  constructor(
    readonly shape: number[],
    readonly data: Float64Array,
  ) {
    if (data.length !== size(shape)) throw new Error(`Nd: ${data.length} values for shape [${shape}]`);
  }

  get rank(): number {
    return this.shape.length;
  }

  at(coords: readonly number[]): number {
    return this.data[ravel(coords, this.shape)] as number;
  }
}

export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

export function unravel(index: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] as number;
    coords[i] = index % d;
    index = Math.floor(index / d);
  }
  return coords;
}

/** Flat index of coords in shape; coords may have extra leading dims and broadcast over dims of size 1. */
export function ravel(coords: readonly number[], shape: readonly number[]): number {
  const offset = coords.length - shape.length;
  let index = 0;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as number;
    index = index * d + (d === 1 ? 0 : (coords[i + offset] as number));
  }
  return index;
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference: [${a}] and [${b}] do not broadcast`);
    return Math.max(da, db);
  });
}

export function fromFn(shape: number[], f: (coords: number[]) => number): Nd {
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(unravel(i, shape));
  return new Nd(shape, data);
}

export function map(x: Nd, f: (v: number) => number): Nd {
  return new Nd([...x.shape], x.data.map(f));
}

export function zip(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  return fromFn(broadcastShape(a.shape, b.shape), (c) => f(a.at(c), b.at(c)));
}

export function where(cond: Nd, a: Nd, b: Nd): Nd {
  const shape = broadcastShape(cond.shape, broadcastShape(a.shape, b.shape));
  return fromFn(shape, (c) => (cond.at(c) !== 0 ? a.at(c) : b.at(c)));
}

export function matmul(a: Nd, b: Nd): Nd {
  const n = a.shape[a.rank - 2] as number;
  const k = a.shape[a.rank - 1] as number;
  const m = b.shape[b.rank - 1] as number;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return fromFn([...batch, n, m], (c) => {
    const prefix = c.slice(0, -2);
    const [i, j] = c.slice(-2) as [number, number];
    let sum = 0;
    for (let p = 0; p < k; p++) sum += a.at([...prefix, i, p]) * b.at([...prefix, p, j]);
    return sum;
  });
}

export function transpose(x: Nd, perm: readonly number[]): Nd {
  const shape = perm.map((p) => x.shape[p] as number);
  return fromFn(shape, (c) => {
    const source = new Array<number>(x.rank);
    perm.forEach((p, i) => (source[p] = c[i] as number));
    return x.at(source);
  });
}

export function reduce(x: Nd, axes: readonly number[], keepdims: boolean, kind: 'sum' | 'mean' | 'max'): Nd {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(size(kept)).fill(kind === 'max' ? -Infinity : 0);
  for (let i = 0; i < x.data.length; i++) {
    const c = unravel(i, x.shape).map((v, a) => (axes.includes(a) ? 0 : v));
    const o = ravel(c, kept);
    const v = x.data[i] as number;
    out[o] = kind === 'max' ? Math.max(out[o] as number, v) : (out[o] as number) + v;
  }
  const count = axes.reduce((p, a) => p * (x.shape[a] as number), 1);
  const values = kind === 'mean' ? out.map((v) => v / count) : out;
  return new Nd(keepdims ? kept : x.shape.filter((_, i) => !axes.includes(i)), values);
}

export function softmax(x: Nd, axis: number): Nd {
  const shifted = zip(x, reduce(x, [axis], true, 'max'), (v, m) => Math.exp(v - m));
  return zip(shifted, reduce(shifted, [axis], true, 'sum'), (e, s) => e / s);
}

export function logSoftmax(x: Nd, axis: number): Nd {
  return map(softmax(x, axis), Math.log);
}

export function slice(x: Nd, axis: number, start: number, end: number): Nd {
  const shape = [...x.shape];
  shape[axis] = end - start;
  return fromFn(shape, (c) => x.at(c.map((v, i) => (i === axis ? v + start : v))));
}

export function concat(xs: readonly Nd[], axis: number): Nd {
  const first = xs[0] as Nd;
  const shape = [...first.shape];
  shape[axis] = xs.reduce((s, x) => s + (x.shape[axis] as number), 0);
  return fromFn(shape, (c) => {
    let at = c[axis] as number;
    for (const x of xs) {
      const d = x.shape[axis] as number;
      if (at < d) return x.at(c.map((v, i) => (i === axis ? at : v)));
      at -= d;
    }
    throw new Error('reference concat: out of range');
  });
}

/** x.take(indices, axis) with indices given as an Nd of integers. */
export function gather(x: Nd, indices: Nd, axis: number): Nd {
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  return fromFn(shape, (c) => {
    const index = indices.at(c.slice(axis, axis + indices.rank));
    return x.at([...c.slice(0, axis), index, ...c.slice(axis + indices.rank)]);
  });
}

export function gatherElements(x: Nd, indices: Nd, axis: number): Nd {
  return fromFn([...indices.shape], (c) => x.at(c.map((v, i) => (i === axis ? indices.at(c) : v))));
}

export function expand(x: Nd, shape: number[]): Nd {
  return fromFn(broadcastShape(x.shape, shape), (c) => x.at(c));
}

export function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for 1e-9; use the series / continued fraction split instead.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = 0;
    let term = t;
    for (let n = 0; n < 100; n++) {
      sum += term / (2 * n + 1);
      term *= (-t * t) / (n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return (Math.sign(x) * 2 * sum) / Math.sqrt(Math.PI);
  }
  let fraction = 0;
  for (let n = 60; n >= 1; n--) fraction = n / 2 / (t + fraction);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + fraction);
  return Math.sign(x) * (1 - erfc);
}
