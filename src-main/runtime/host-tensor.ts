// Plain typed-array tensors that cross the session boundary (and worker threads) without ORT objects.
import * as ort from 'onnxruntime-node';
import type { DType, TensorData } from '../engine/index';

export interface HostTensor {
  dtype: DType;
  data: TensorData;
  dims: readonly number[];
}

export type Feeds = Record<string, HostTensor>;

type OrtType = 'float32' | 'float64' | 'float16' | 'uint16' | 'int64' | 'bool';

/** bfloat16 has no onnxruntime-node tensor type: BF16 words cross as uint16 (a graph BitCasts them). */
const ORT_TYPE: Record<DType, OrtType | null> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  bfloat16: null,
  uint16: 'uint16',
  int64: 'int64',
  bool: 'bool',
};

/** An onnxruntime tensor over the same buffer (the CPU provider reads it in place; nothing is copied). */
export function toOrt(t: HostTensor): ort.Tensor {
  const type = ORT_TYPE[t.dtype];
  if (type === null)
    throw new Error(`runtime: ${t.dtype} cannot cross into onnxruntime-node; feed uint16 words`);
  return new ort.Tensor(type, t.data, t.dims);
}

export function fromOrt(t: ort.Tensor): HostTensor {
  const dtype = t.type as DType;
  if (!(dtype in ORT_TYPE)) throw new Error(`runtime: output type ${t.type} is not an engine dtype`);
  return { dtype, data: t.data as TensorData, dims: [...t.dims] };
}
