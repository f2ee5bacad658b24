// safetensors reader/writer: round trips (fixed and fast-check), the committed Python-written fixtures,
// and a clear error naming the file for each kind of broken file.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toFloat16Bits } from '../engine/index';
import {
  encodeSafetensors,
  halfToFloat,
  SafetensorsCheckpoint,
  SafetensorsFile,
  toBfloat16Bits,
  type TensorToWrite,
  type WritableDtype,
} from './safetensors';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function tempFile(bytes: Uint8Array | string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'safetensors-')), 'model.safetensors');
  writeFileSync(path, bytes);
  return path;
}

/** A file whose header is `header` (padded as the writer pads it) followed by `dataLength` zero bytes. */
function fileWithHeader(header: unknown, dataLength: number): string {
  const json = Buffer.from(JSON.stringify(header));
  const bytes = Buffer.alloc(8 + json.length + dataLength);
  bytes.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(bytes, 8);
  return tempFile(bytes);
}

/** What a stored value reads back as after rounding to `dtype`. */
function rounded(dtype: WritableDtype, v: number): number {
  if (dtype === 'F32') return Math.fround(v);
  if (dtype === 'BF16')
    return new Float32Array(new Uint32Array([toBfloat16Bits(v) << 16]).buffer)[0] as number;
  return halfToFloat(toFloat16Bits(v));
}

describe('safetensors round trip', () => {
  it('writes F32 with metadata and an 8-byte-aligned header, and reads it back lazily', () => {
    const tensors = new Map<string, TensorToWrite>([
      ['a.weight', { dims: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-3, -7]) }],
      ['b', { dims: [], data: Float32Array.from([42]) }],
    ]);
    const bytes = encodeSafetensors(tensors, 'F32');
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const file = SafetensorsFile.open(tempFile(bytes));
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.readFloat32('a.weight')).toEqual({ dims: [2, 3], data: tensors.get('a.weight')?.data });
    expect(file.readFloat32('b').data[0]).toBe(42);
  });

  it('rounds to F16 and BF16 as torch does (round to nearest even)', () => {
    const data = Float32Array.from([1 + 2 ** -9, 1 + 3 * 2 ** -11, 65504, -0.1, 3.14159]);
    const tensors = new Map([['x', { dims: [5], data }]]);
    const expected = {
      F16: [1 + 2 ** -9, 1 + 2 ** -9, 65504, -0.0999755859375, 3.140625],
      BF16: [1, 1, 65536, -0.10009765625, 3.140625],
    };
    for (const dtype of ['F16', 'BF16'] as const) {
      const read = SafetensorsFile.open(tempFile(encodeSafetensors(tensors, dtype))).readFloat32('x').data;
      expect([...read]).toEqual(expected[dtype]);
    }
  });

  it('any shapes and dtypes round trip (fast-check)', () => {
    const tensorArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((dims) =>
      fc
        .array(fc.float({ noNaN: true, min: -1000, max: 1000 }), {
          minLength: dims.reduce((a, b) => a * b, 1),
          maxLength: dims.reduce((a, b) => a * b, 1),
        })
        .map((values) => ({ dims, data: Float32Array.from(values) })),
    );
    const caseArb = fc.record({
      dtype: fc.constantFrom<WritableDtype>('F32', 'F16', 'BF16'),
      tensors: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_.]{0,8}$/), tensorArb, { maxKeys: 4 }),
    });
    fc.assert(
      fc.property(caseArb, ({ dtype, tensors }) => {
        const map = new Map(Object.entries(tensors));
        const file = SafetensorsFile.open(tempFile(encodeSafetensors(map, dtype)));
        expect([...file.tensors.keys()].sort()).toEqual([...map.keys()].sort());
        for (const [name, t] of map) {
          const read = file.readFloat32(name);
          expect(read.dims).toEqual(t.dims);
          expect([...read.data]).toEqual([...t.data].map((v) => rounded(dtype, v)));
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('safetensors checkpoints written by Python', () => {
  it('reads a sharded F16 checkpoint through its index, opening shards on demand', () => {
    const checkpoint = SafetensorsCheckpoint.open(join(FIXTURES, 'llama-sharded-f16'));
    const names = checkpoint.names();
    expect(names).toContain('model.embed_tokens.weight');
    expect(names).toContain('model.norm.weight');
    const first = checkpoint.fileOf('model.embed_tokens.weight').path;
    const last = checkpoint.fileOf('model.norm.weight').path;
    expect(first).not.toBe(last);
    const embed = checkpoint.readFloat32('model.embed_tokens.weight');
    expect(embed.dims).toEqual([96, 32]);
    const half = checkpoint.fileOf('model.embed_tokens.weight').readFloat16Bits('model.embed_tokens.weight');
    expect(halfToFloat(half[5] as number)).toBe(embed.data[5]);
  });

  it('reads BF16 as torch wrote it', () => {
    const file = SafetensorsFile.open(join(FIXTURES, 'llama-bf16', 'model.safetensors'));
    expect(file.info('model.norm.weight').dtype).toBe('BF16');
    const norm = file.readFloat32('model.norm.weight').data;
    expect(norm.every((v) => v > 0 && v < 2)).toBe(true);
  });
});

describe('safetensors errors name the file', () => {
  it('a file shorter than the header length field', () => {
    const path = tempFile(new Uint8Array([1, 2, 3]));
    expect(() => SafetensorsFile.open(path)).toThrow(`${path}: truncated safetensors file`);
  });

  it('a header length past the end (a truncated download)', () => {
    const whole = readFileSync(join(FIXTURES, 'llama', 'model.safetensors'));
    const path = tempFile(whole.subarray(0, 100));
    expect(() => SafetensorsFile.open(path)).toThrow(/runs past the end of the file/);
    expect(() => SafetensorsFile.open(path)).toThrow(path);
  });

  it('data cut short: offsets out of range', () => {
    const whole = readFileSync(join(FIXTURES, 'llama', 'model.safetensors'));
    const path = tempFile(whole.subarray(0, whole.length - 10));
    expect(() => SafetensorsFile.open(path)).toThrow(new RegExp(`^${path}: tensor .* out of range`));
  });

  it('overlapping tensors', () => {
    const path = fileWithHeader(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      12,
    );
    expect(() => SafetensorsFile.open(path)).toThrow(`${path}: tensors a and b overlap`);
  });

  it('misaligned offsets (an F32 tensor starting mid-element)', () => {
    const path = fileWithHeader(
      {
        a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
        b: { dtype: 'F32', shape: [2], data_offsets: [2, 10] },
      },
      10,
    );
    expect(() => SafetensorsFile.open(path)).toThrow(
      `${path}: tensor b starts at byte 2 of the data area, not a multiple of its 4-byte F32 elements (misaligned offsets)`,
    );
  });

  it('an unknown dtype', () => {
    const path = fileWithHeader({ a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2);
    expect(() => SafetensorsFile.open(path)).toThrow(`${path}: tensor a has unknown dtype "F8_E4M3"`);
  });

  it('a shape that does not match the byte range', () => {
    const path = fileWithHeader({ a: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, 8);
    expect(() => SafetensorsFile.open(path)).toThrow(`${path}: tensor a shape [3] F16 needs 6 bytes`);
  });

  it('a header that is not JSON', () => {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(8n, 0);
    bytes.write('{"a":!!}', 8);
    const path = tempFile(bytes);
    expect(() => SafetensorsFile.open(path)).toThrow(`${path}: safetensors header is not valid JSON`);
  });

  it('a shard index that points at a missing file, or at a shard without the tensor', () => {
    const folder = mkdtempSync(join(tmpdir(), 'sharded-'));
    cpSync(join(FIXTURES, 'llama-sharded-f16'), folder, { recursive: true });
    const indexPath = join(folder, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
    index.weight_map['model.norm.weight'] = 'model-00001-of-00002.safetensors';
    index.weight_map['lm_head.weight'] = 'model-00003-of-00002.safetensors';
    writeFileSync(indexPath, JSON.stringify(index));
    const checkpoint = SafetensorsCheckpoint.open(folder);
    expect(() => checkpoint.readFloat32('model.norm.weight')).toThrow(
      `${join(folder, 'model-00001-of-00002.safetensors')}: the index lists tensor model.norm.weight in this shard but the file lacks it`,
    );
    expect(() => checkpoint.readFloat32('lm_head.weight')).toThrow(
      `${join(folder, 'model-00003-of-00002.safetensors')}: cannot read safetensors file`,
    );
  });

  it('writing data that does not fit its shape', () => {
    const tensors = new Map([['w', { dims: [2, 2], data: new Float32Array(3) }]]);
    expect(() => encodeSafetensors(tensors, 'F32')).toThrow('tensor w has 3 values but shape [2,2]');
  });
});
