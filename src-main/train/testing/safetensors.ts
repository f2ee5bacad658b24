// Test-only minimal safetensors writer and reader (F32) for the PEFT export tests, following the format spec:
// u64 little-endian header length, a JSON header padded with spaces to 8 bytes, then the raw tensor bytes.
import { readFile, writeFile } from 'node:fs/promises';
import type { F32Tensor, SafetensorsReader, SafetensorsWriter } from '../peft-export';

/** The file's bytes: tensors in key order, contiguous, header padded to a multiple of 8 with spaces. */
export function encodeSafetensors(
  tensors: Record<string, F32Tensor>,
  metadata?: Record<string, string>,
): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const t = tensors[name] as F32Tensor;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const data = names.map((n) => {
    const t = (tensors[n] as F32Tensor).data;
    return Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  });
  return Buffer.concat([head, Buffer.from(json), ...data]);
}

export function decodeSafetensors(bytes: Buffer): Record<string, F32Tensor> {
  if (bytes.length < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
  const length = Number(bytes.readBigUInt64LE(0));
  if (8 + length > bytes.length) throw new Error(`safetensors: header length ${length} runs past the file`);
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  const out: Record<string, F32Tensor> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: number[] };
    if (dtype !== 'F32') throw new Error(`safetensors: ${name} is ${dtype}, only F32 is read here`);
    const [start, end] = data_offsets as [number, number];
    const raw = bytes.subarray(8 + length + start, 8 + length + end);
    out[name] = { dtype: 'F32', shape, data: new Float32Array(Uint8Array.from(raw).buffer) };
  }
  return out;
}

export const testSafetensorsIO: SafetensorsWriter & SafetensorsReader = {
  async writeSafetensors(path, tensors, metadata) {
    await writeFile(path, encodeSafetensors(tensors, metadata));
  },
  async readSafetensors(path) {
    return decodeSafetensors(await readFile(path));
  },
};
