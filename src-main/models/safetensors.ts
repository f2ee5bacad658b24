// Our own safetensors reader and writer (the format of huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header of {name: {dtype, shape, data_offsets}}, then raw little-endian bytes.
// Files are read lazily: the header first, then only the byte range of each tensor asked for.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { toFloat16Bits } from '../engine/index';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'BOOL';
export type WritableDtype = 'F32' | 'F16' | 'BF16';

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, BOOL: 1 };

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range in the data area (after the header), as the header's data_offsets. */
  begin: number;
  end: number;
}

/** A float tensor read into float32 (F16 and BF16 widened). */
export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

/** An F16 or BF16 tensor kept as its 16-bit words (half the memory of float32; widened inside graphs). */
export interface HalfTensor {
  dims: number[];
  dtype: 'float16' | 'bfloat16';
  data: Uint16Array;
}

/** A frozen weight as the process keeps it: float32, or the checkpoint's F16/BF16 words. */
export type WeightTensor = FloatTensor | HalfTensor;

export function isHalf(t: WeightTensor): t is HalfTensor {
  return t.data instanceof Uint16Array;
}

/** The weight as float32 (a new array for F16/BF16; the same one for float32). */
export function widen(t: WeightTensor): FloatTensor {
  if (!isHalf(t)) return t;
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { dims: t.dims, data: toFloat32(t.dtype === 'float16' ? 'F16' : 'BF16', bytes, 'widen') };
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && value in BYTES;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Parses and validates a header against the size of the data area; errors name `file`. */
export function parseHeader(
  file: string,
  json: string,
  dataLength: number,
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(json);
  } catch (error) {
    throw new Error(`${file}: safetensors header is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new Error(`${file}: safetensors header is not a JSON object`);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDtype(entry.dtype))
      throw new Error(`${file}: tensor ${name} has unknown dtype ${JSON.stringify(entry.dtype)}`);
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    const isInts = (v: unknown, n?: number): v is number[] =>
      Array.isArray(v) &&
      (n === undefined || v.length === n) &&
      v.every((d) => Number.isInteger(d) && d >= 0);
    if (!isInts(shape))
      throw new Error(`${file}: tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    if (!isInts(offsets, 2))
      throw new Error(`${file}: tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      throw new Error(
        `${file}: tensor ${name} data_offsets [${begin}, ${end}] are out of range (data area is ${dataLength} bytes)`,
      );
    }
    const expected = numel(shape) * BYTES[entry.dtype];
    if (end - begin !== expected) {
      throw new Error(
        `${file}: tensor ${name} shape [${shape.join(',')}] ${entry.dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
      );
    }
    tensors.set(name, { name, dtype: entry.dtype, shape, begin, end });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as TensorInfo;
    const next = sorted[i] as TensorInfo;
    if (next.begin < prev.end)
      throw new Error(`${file}: tensors ${prev.name} and ${next.name} overlap in the data area`);
  }
  for (const t of sorted) {
    // Every writer places a tensor at a multiple of its element size; anything else is a damaged header.
    if (t.begin % BYTES[t.dtype] !== 0)
      throw new Error(
        `${file}: tensor ${t.name} starts at byte ${t.begin} of the data area, not a multiple of its ${BYTES[t.dtype]}-byte ${t.dtype} elements (misaligned offsets)`,
      );
  }
  return { tensors, metadata };
}

/**
 * Widens raw little-endian F32/F16/BF16 bytes to float32. Typed-array views are host-endian, which is
 * little-endian on every platform onnxruntime-node ships for; unaligned input is copied first.
 */
export function toFloat32(dtype: SafetensorsDtype, bytes: Uint8Array, where: string): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const n = bytes.byteLength / BYTES[dtype];
  if (dtype === 'F32')
    return new Float32Array(aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + n * 4));
  if (dtype !== 'F16' && dtype !== 'BF16') throw new Error(`${where}: dtype ${dtype} is not a float type`);
  const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  const out = new Float32Array(n);
  if (dtype === 'F16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(halves[i] as number);
    return out;
  }
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) words[i] = (halves[i] as number) << 16;
  return out;
}

export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** float32 -> bfloat16 bits, round to nearest even (as torch's .to(torch.bfloat16)). */
export function toBfloat16Bits(value: number): number {
  const word = new Uint32Array(new Float32Array([value]).buffer)[0] as number;
  if (Number.isNaN(value)) return 0x7fc0;
  return ((word + 0x7fff + ((word >>> 16) & 1)) >>> 16) & 0xffff;
}

/** One safetensors file, opened lazily: only the header is read until a tensor is asked for. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    readonly tensors: Map<string, TensorInfo>,
    readonly metadata: Record<string, string>,
    private readonly dataStart: number,
  ) {}

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new Error(`${path}: cannot read safetensors file: ${(error as Error).message}`, { cause: error });
    }
    try {
      const size = fstatSync(fd).size;
      if (size < 8) throw new Error(`${path}: truncated safetensors file (${size} bytes, no header length)`);
      const lengthBytes = Buffer.alloc(8);
      readSync(fd, lengthBytes, 0, 8, 0);
      const headerLength = Number(lengthBytes.readBigUInt64LE(0));
      if (headerLength > size - 8) {
        throw new Error(
          `${path}: safetensors header length ${headerLength} runs past the end of the file (${size} bytes); the file is truncated or not safetensors`,
        );
      }
      const headerBytes = Buffer.alloc(headerLength);
      readSync(fd, headerBytes, 0, headerLength, 8);
      const dataLength = size - 8 - headerLength;
      const { tensors, metadata } = parseHeader(path, headerBytes.toString('utf8'), dataLength);
      return new SafetensorsFile(path, tensors, metadata, 8 + headerLength);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(path)) throw error;
      throw new Error(`${path}: cannot read safetensors file: ${(error as Error).message}`, { cause: error });
    } finally {
      closeSync(fd);
    }
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new Error(`${this.path}: no tensor named ${name}`);
    return info;
  }

  /** Where the tensor's bytes lie in the file: [start, end) as absolute byte offsets. */
  fileRange(name: string): { start: number; end: number } {
    const info = this.info(name);
    return { start: this.dataStart + info.begin, end: this.dataStart + info.end };
  }

  /** The tensor's raw little-endian bytes (any dtype), read from disk now. */
  readRaw(name: string): Uint8Array {
    const info = this.info(name);
    const bytes = new Uint8Array(info.end - info.begin);
    const fd = openSync(this.path, 'r');
    try {
      const read = readSync(fd, bytes, 0, bytes.length, this.dataStart + info.begin);
      if (read !== bytes.length) throw new Error(`${this.path}: truncated while reading tensor ${name}`);
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  readFloat32(name: string): FloatTensor {
    const info = this.info(name);
    return {
      dims: [...info.shape],
      data: toFloat32(info.dtype, this.readRaw(name), `${this.path}: ${name}`),
    };
  }

  /**
   * The tensor as the process keeps a frozen weight: F16 and BF16 as their words, F32 as float32, read
   * from disk into its own ArrayBuffer (transferable to a worker) with no intermediate copy. Not shared
   * memory: onnxruntime-node 1.29 refuses tensors over a SharedArrayBuffer ("Invalid argument").
   */
  readWeight(name: string): WeightTensor {
    const info = this.info(name);
    const bytes = this.readRaw(name);
    const dims = [...info.shape];
    if (info.dtype === 'F16' || info.dtype === 'BF16') {
      const data = new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2);
      return { dims, dtype: info.dtype === 'F16' ? 'float16' : 'bfloat16', data };
    }
    if (info.dtype === 'F32') return { dims, data: new Float32Array(bytes.buffer, 0, bytes.byteLength / 4) };
    throw new Error(`${this.path}: tensor ${name} is ${info.dtype}, not a float type`);
  }

  /** The tensor as IEEE half bits (F16 as stored; F32 and BF16 rounded), for float16 graphs. */
  readFloat16Bits(name: string): Uint16Array {
    const info = this.info(name);
    const raw = this.readRaw(name);
    if (info.dtype === 'F16') return new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
    return Uint16Array.from(toFloat32(info.dtype, raw, `${this.path}: ${name}`), toFloat16Bits);
  }
}

/** A checkpoint folder's weights: `model.safetensors`, or shards listed in `model.safetensors.index.json`. */
export class SafetensorsCheckpoint {
  private readonly files = new Map<string, SafetensorsFile>();

  private constructor(
    readonly folder: string,
    /** The file that lists the tensors: model.safetensors, or the shard index. */
    readonly source: string,
    /** tensor name -> file name inside the folder */
    private readonly weightMap: Map<string, string>,
  ) {}

  static open(folder: string): SafetensorsCheckpoint {
    const indexPath = join(folder, 'model.safetensors.index.json');
    let index: string | undefined;
    try {
      index = readFileSync(indexPath, 'utf8');
    } catch {
      index = undefined;
    }
    if (index === undefined) {
      if (!existsSync(join(folder, 'model.safetensors')))
        throw new Error(`${folder}: no model.safetensors or model.safetensors.index.json in this folder`);
      const single = SafetensorsFile.open(join(folder, 'model.safetensors'));
      const map = new Map([...single.tensors.keys()].map((name) => [name, 'model.safetensors']));
      const checkpoint = new SafetensorsCheckpoint(folder, single.path, map);
      checkpoint.files.set('model.safetensors', single);
      return checkpoint;
    }
    let weightMap: unknown;
    try {
      weightMap = (JSON.parse(index) as { weight_map?: unknown }).weight_map;
    } catch (error) {
      throw new Error(`${indexPath}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
    if (typeof weightMap !== 'object' || weightMap === null)
      throw new Error(`${indexPath}: has no weight_map object`);
    const map = new Map<string, string>();
    for (const [name, file] of Object.entries(weightMap)) {
      if (typeof file !== 'string' || basename(file) !== file)
        throw new Error(`${indexPath}: weight_map entry ${name} is not a file name in this folder`);
      map.set(name, file);
    }
    return new SafetensorsCheckpoint(folder, indexPath, map);
  }

  names(): string[] {
    return [...this.weightMap.keys()];
  }

  has(name: string): boolean {
    return this.weightMap.has(name);
  }

  /** The file holding `name` (opened on first use), checked to really contain it. */
  fileOf(name: string): SafetensorsFile {
    const fileName = this.weightMap.get(name);
    if (fileName === undefined) throw new Error(`${this.folder}: checkpoint has no tensor named ${name}`);
    let file = this.files.get(fileName);
    if (!file) {
      file = SafetensorsFile.open(join(this.folder, fileName));
      this.files.set(fileName, file);
    }
    if (!file.tensors.has(name))
      throw new Error(`${file.path}: the index lists tensor ${name} in this shard but the file lacks it`);
    return file;
  }

  readFloat32(name: string): FloatTensor {
    return this.fileOf(name).readFloat32(name);
  }

  readWeight(name: string): WeightTensor {
    return this.fileOf(name).readWeight(name);
  }
}

export interface TensorToWrite {
  dims: readonly number[];
  data: Float32Array;
}

/** Serializes float32 tensors as F32/F16/BF16 with a header padded with spaces to 8 bytes (as the Rust crate). */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, TensorToWrite>,
  dtype: WritableDtype,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const width = BYTES[dtype];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (numel(t.dims) !== t.data.length) {
      throw new Error(
        `safetensors write: tensor ${name} has ${t.data.length} values but shape [${t.dims.join(',')}]`,
      );
    }
    header[name] = { dtype, shape: [...t.dims], data_offsets: [offset, offset + t.data.length * width] };
    offset += t.data.length * width;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    for (const v of t.data) {
      if (dtype === 'F32') view.setFloat32(at, v, true);
      else view.setUint16(at, dtype === 'F16' ? toFloat16Bits(v) : toBfloat16Bits(v), true);
      at += width;
    }
  }
  return out;
}

export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, TensorToWrite>,
  dtype: WritableDtype,
  metadata?: Record<string, string>,
): void {
  writeFileSync(path, encodeSafetensors(tensors, dtype, metadata));
}
