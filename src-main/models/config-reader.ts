// Reading a config.json object field by field: typed getters whose errors name the file, the key and the
// value found, and the rope_scaling block (the types transformers' modeling_rope_utils.py knows, by name).
import type { RopeScaling } from './config';

export type Raw = Record<string, unknown>;

export class Reader {
  constructor(
    private readonly raw: Raw,
    readonly file: string,
  ) {}

  fail(key: string, what: string): never {
    throw new Error(`${this.file}: ${key} ${what}, got ${JSON.stringify(this.raw[key])}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  int(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (v === undefined) this.fail(key, 'is required');
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(key, 'must be a positive integer');
    return v;
  }

  number(key: string, fallback: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'must be a number');
    return v;
  }

  /** A number, or null where the key is absent or null. */
  optionalNumber(key: string): number | null {
    return this.has(key) ? this.number(key, NaN) : null;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }

  optionalId(key: string): number | null {
    const v = this.raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(key, 'must be a token id');
    return v;
  }

  ids(key: string): number[] {
    const v = this.raw[key];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((id) => typeof id === 'number' && Number.isInteger(id) && id >= 0))
      this.fail(key, 'must be a token id or a list of them');
    return list as number[];
  }

  string(key: string): string | null {
    const v = this.raw[key];
    return typeof v === 'string' ? v : null;
  }

  /** A string from `allowed` (or the fallback when absent); anything else is refused by name. */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw[key] ?? fallback;
    if (!allowed.includes(v as T)) this.fail(key, `is not supported (${allowed.join(', ')})`);
    return v as T;
  }

  /** A list of `length` values, each checked by `ok`; null where the key is absent or null. */
  list<T>(key: string, length: number, ok: (v: unknown) => v is T, what: string): T[] | null {
    const v = this.raw[key];
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.length !== length || !v.every(ok))
      this.fail(key, `must be a list of ${length} ${what}`);
    return v as T[];
  }

  get(key: string): unknown {
    return this.raw[key];
  }
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * rope_scaling as transformers reads it (`rope_type`, or the older `type`). `rotaryDim` is the number of
 * rotated dims (longrope's factor lists have rotaryDim / 2 entries); `maxPositions` and the top-level
 * `original_max_position_embeddings` give longrope's default attention factor (Phi-3's convention).
 */
export function readRopeScaling(r: Reader, rotaryDim: number, maxPositions: number): RopeScaling {
  const raw = r.get('rope_scaling');
  if (raw === undefined || raw === null) return { type: 'none' };
  if (typeof raw !== 'object' || Array.isArray(raw)) r.fail('rope_scaling', 'must be an object');
  const s = new Reader(raw as Raw, `${r.file} rope_scaling`);
  const type = s.string('rope_type') ?? s.string('type');
  if (type === 'default') return { type: 'none' };
  if (type === 'linear') return { type, factor: s.number('factor', NaN) };
  if (type === 'llama3') {
    return {
      type,
      factor: s.number('factor', NaN),
      lowFreqFactor: s.number('low_freq_factor', NaN),
      highFreqFactor: s.number('high_freq_factor', NaN),
      originalMaxPositionEmbeddings: s.int('original_max_position_embeddings'),
    };
  }
  if (type === 'longrope' || type === 'su') {
    // 'su' is longrope's first name (early Phi-3 128k configs; Phi3Config renames it).
    // _compute_longrope_parameters: a top-level original_max_position_embeddings (Phi-3) makes the factor
    // max_position_embeddings / original; the attention factor defaults to sqrt(1 + ln f / ln original).
    const topLevel = r.has('original_max_position_embeddings');
    const original = topLevel
      ? r.int('original_max_position_embeddings')
      : s.int('original_max_position_embeddings', maxPositions);
    const factor = topLevel ? maxPositions / original : s.number('factor', 1);
    const attentionFactor =
      s.optionalNumber('attention_factor') ??
      (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
    const half = rotaryDim / 2;
    const factors = (key: string): number[] =>
      s.list(key, half, isNumber, 'numbers (one per rotary frequency)') ?? s.fail(key, 'is required');
    return {
      type: 'longrope',
      factor,
      shortFactor: factors('short_factor'),
      longFactor: factors('long_factor'),
      originalMaxPositionEmbeddings: original,
      attentionFactor,
    };
  }
  throw new Error(
    `${r.file}: rope_scaling type ${JSON.stringify(type)} is not supported (default, linear, llama3, longrope)`,
  );
}
