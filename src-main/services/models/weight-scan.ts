// One pass over a checkpoint's stored weights at import: NaN, Inf or absurdly large values (no trained
// network holds |w| > 1e6) name the file, the tensor and the index, so a broken checkpoint is refused before
// it generates garbage or a training run blames its learning rate. Read in chunks with async I/O, so a
// server keeps answering while gigabytes are checked.
import { open, type FileHandle } from 'node:fs/promises';
import { SafetensorsCheckpoint, type SafetensorsFile } from '../../models/index';

/** Larger magnitudes are treated as corruption (bf16 exponent >= 2^20; F16 cannot exceed 65,504). */
export const MAX_PLAUSIBLE_WEIGHT = 1e6;

const CHUNK_BYTES = 8 * 1024 * 1024;

type Finding = { index: number; value: number | string } | undefined;

function scanF32(bytes: Uint8Array): Finding {
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Math.abs(v) <= MAX_PLAUSIBLE_WEIGHT)) return { index: i, value: v };
  }
  return undefined;
}

function scanHalf(bytes: Uint8Array, dtype: 'F16' | 'BF16'): Finding {
  const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  // Exponent all ones: Inf or NaN. BF16 shares float32's exponent: >= 127 + 20 means |x| >= 2^20.
  const [mask, largest] = dtype === 'F16' ? [0x7c00, 0x7c00] : [0x7f80, (127 + 20) << 7];
  for (let i = 0; i < bits.length; i++) {
    const exponent = bits[i]! & mask;
    if (exponent === mask)
      return { index: i, value: bits[i]! & (dtype === 'F16' ? 0x3ff : 0x7f) ? 'NaN' : 'Inf' };
    if (exponent >= largest) return { index: i, value: `a value of magnitude >= 2^20` };
  }
  return undefined;
}

function describe(value: number | string): string {
  if (typeof value === 'string') return value;
  return Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? value.toExponential(2) : String(value);
}

async function scanTensor(handle: FileHandle, file: SafetensorsFile, name: string): Promise<void> {
  const { dtype } = file.info(name);
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') return;
  const size = dtype === 'F32' ? 4 : 2;
  const { start, end } = file.fileRange(name);
  // A fresh ArrayBuffer per chunk keeps the typed views aligned.
  const buffer = new Uint8Array(new ArrayBuffer(Math.min(CHUNK_BYTES, end - start)));
  for (let at = start; at < end; at += buffer.length) {
    const length = Math.min(buffer.length, end - at);
    const { bytesRead } = await handle.read(buffer, 0, length, at);
    if (bytesRead !== length) throw new Error(`${file.path}: truncated while reading tensor ${name}`);
    const chunk = buffer.subarray(0, length);
    const found = dtype === 'F32' ? scanF32(chunk) : scanHalf(chunk, dtype);
    if (found) {
      const index = (at - start) / size + found.index;
      const what = describe(found.value);
      throw new Error(
        `${file.path}: tensor ${name} holds ${what} at index ${index}: the checkpoint's weights are broken ` +
          '(not a training problem); re-download or re-convert the model',
      );
    }
  }
}

/** Checks every floating-point tensor of the checkpoint in `folder`; throws naming the first bad one. */
export async function scanCheckpointWeights(folder: string): Promise<void> {
  const store = SafetensorsCheckpoint.open(folder);
  const byFile = new Map<SafetensorsFile, string[]>();
  for (const name of store.names()) {
    const file = store.fileOf(name);
    byFile.set(file, [...(byFile.get(file) ?? []), name]);
  }
  for (const [file, names] of byFile) {
    const handle = await open(file.path, 'r');
    try {
      for (const name of names) await scanTensor(handle, file, name);
    } finally {
      await handle.close();
    }
  }
}
