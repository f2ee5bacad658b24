// Element types the engine knows, their ONNX codes, byte sizes and the typed arrays that hold them.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * `bfloat16` and `uint16` hold raw 16-bit words: a checkpoint's BF16 weights enter a graph as `uint16` (the
 * type onnxruntime-node can feed) and become `bfloat16` by a BitCast, then float32 by a Cast.
 */
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'uint16' | 'int64' | 'bool';

/** The typed array that holds each dtype's data (float16 as raw IEEE half bits, bool as 0/1 bytes). */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  uint16: Uint16Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

export type TensorData = TypedArrayFor[DType];

export const ONNX_DTYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  float16: onnx.TensorProto.DataType.FLOAT16,
  bfloat16: onnx.TensorProto.DataType.BFLOAT16,
  uint16: onnx.TensorProto.DataType.UINT16,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  uint16: 2,
  int64: 8,
  bool: 1,
};

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

/** A typed array of `size` elements filled with `value` (numbers are converted for int64 and bool). */
export function filledArray(dtype: DType, size: number, value: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size).fill(value);
    case 'float64':
      return new Float64Array(size).fill(value);
    case 'float16':
      return new Uint16Array(size).fill(toFloat16Bits(value));
    case 'bfloat16':
      return new Uint16Array(size).fill(new Uint32Array(Float32Array.of(value).buffer)[0]! >>> 16);
    case 'uint16':
      return new Uint16Array(size).fill(value);
    case 'int64':
      return new BigInt64Array(size).fill(BigInt(Math.trunc(value)));
    case 'bool':
      return new Uint8Array(size).fill(value ? 1 : 0);
  }
}

/** Checks that `data` is the typed array for `dtype`. */
export function checkDataMatches(where: string, dtype: DType, data: TensorData): void {
  const ok =
    (dtype === 'float32' && data instanceof Float32Array) ||
    (dtype === 'float64' && data instanceof Float64Array) ||
    ((dtype === 'float16' || dtype === 'bfloat16' || dtype === 'uint16') && data instanceof Uint16Array) ||
    (dtype === 'int64' && data instanceof BigInt64Array) ||
    (dtype === 'bool' && data instanceof Uint8Array);
  if (!ok) throw new Error(`${where}: ${data.constructor.name} does not hold ${dtype} data`);
}

/** Rounds a number to the nearest IEEE half and returns its bits (round-to-nearest-even). */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent >= 0x1f) {
    const isNaN = ((bits >>> 23) & 0xff) === 0xff && mantissa !== 0;
    return sign | 0x7c00 | (isNaN ? 0x200 : 0);
  }
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - exponent;
    const half = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const roundUp = remainder > halfway || (remainder === halfway && (half & 1) === 1);
    return sign | (half + (roundUp ? 1 : 0));
  }
  const half = (exponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1);
  return sign | (half + (roundUp ? 1 : 0));
}
