// Plain typed-array tensors that cross the session boundary (and worker threads) without ORT objects.
import * as ort from 'onnxruntime-node';
import type { DType, TensorData } from '../engine/index';

export interface HostTensor {
  dtype: DType;
  data: TensorData;
  dims: readonly number[];
}

export type Feeds = Record<string, HostTensor>;

const ORT_TYPE: Record<DType, 'float32' | 'float64' | 'float16' | 'int64' | 'bool'> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int64: 'int64',
  bool: 'bool',
};

export function toOrt(t: HostTensor): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data, t.dims);
}

export function fromOrt(t: ort.Tensor): HostTensor {
  const dtype = t.type as DType;
  if (!(dtype in ORT_TYPE)) throw new Error(`runtime: output type ${t.type} is not an engine dtype`);
  return { dtype, data: t.data as TensorData, dims: [...t.dims] };
}
