// onnxruntime's CUDA execution provider kernel registrations for the ops our graphs emit, as data: for each
// op, the opset range whose kernel serves opset 26 models (ORT picks the newest version <= the model's
// opset) and every tensor type its type constraints list, from onnxruntime's docs/OperatorKernels.md
// ("Operators implemented by CUDAExecutionProvider", domain ai.onnx; read from the onnxruntime repository
// as stored for the 1.2x line). An op absent here has no CUDA kernel: onnxruntime would place it on the CPU
// and copy its inputs and outputs across. Checked against our emitted graphs in cuda-kernels.test.ts.

/** Tensor types as OperatorKernels.md names them (tensor(float) -> 'float'). */
export type OnnxTypeName =
  | 'bfloat16'
  | 'bool'
  | 'double'
  | 'float'
  | 'float16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64';

export interface CudaKernel {
  /** The first opset of the registration that serves opset-26 models ("13+" -> 13). */
  since: number;
  /** Every type any of the op's type constraints allows (T, T1, Tind, ...). */
  types: readonly OnnxTypeName[];
}

const FLOATS: OnnxTypeName[] = ['bfloat16', 'double', 'float', 'float16'];
const NUMBERS: OnnxTypeName[] = [
  ...FLOATS,
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
];
/** The "all fixed-size types except fp8" list data-movement kernels take. */
const ALL: OnnxTypeName[] = [...NUMBERS, 'bool'];

export const CUDA_KERNELS: Readonly<Record<string, CudaKernel>> = {
  Abs: { since: 13, types: NUMBERS },
  Add: { since: 14, types: NUMBERS },
  And: { since: 7, types: ['bool'] },
  Cast: { since: 23, types: ALL },
  Concat: { since: 13, types: ALL },
  ConstantOfShape: { since: 9, types: ALL },
  Cos: { since: 7, types: ['double', 'float', 'float16'] },
  Div: { since: 14, types: NUMBERS },
  Equal: {
    since: 13,
    types: ['bool', 'double', 'float', 'float16', 'int32', 'int64', 'uint32', 'uint64'],
  },
  Exp: { since: 13, types: FLOATS },
  Expand: { since: 13, types: ALL },
  Gather: { since: 13, types: ALL },
  GatherElements: { since: 13, types: ALL },
  Greater: {
    since: 13,
    types: ['bool', 'double', 'float', 'float16', 'int32', 'int64', 'uint32', 'uint64'],
  },
  Identity: { since: 19, types: ALL },
  LessOrEqual: {
    since: 16,
    types: ['bool', 'double', 'float', 'float16', 'int32', 'int64', 'uint32', 'uint64'],
  },
  Log: { since: 13, types: ['double', 'float', 'float16'] },
  LogSoftmax: { since: 13, types: ['double', 'float', 'float16'] },
  MatMul: { since: 13, types: FLOATS },
  Max: { since: 13, types: [...FLOATS, 'int32', 'int64', 'uint32', 'uint64'] },
  Min: { since: 13, types: [...FLOATS, 'int32', 'int64', 'uint32', 'uint64'] },
  Mul: { since: 14, types: NUMBERS },
  Neg: { since: 13, types: [...FLOATS, 'int8', 'int16', 'int32', 'int64'] },
  Pad: { since: 18, types: ['bool', 'double', 'float', 'float16', 'int64'] },
  Pow: { since: 15, types: [...FLOATS, 'int32', 'int64'] },
  Range: { since: 11, types: ['double', 'float', 'int16', 'int32', 'int64'] },
  ReduceMean: { since: 18, types: ['double', 'float', 'float16', 'int32', 'int64'] },
  ReduceSum: { since: 13, types: [...FLOATS, 'int32', 'int64'] },
  Reshape: { since: 23, types: ALL },
  ScatterElements: { since: 18, types: ALL },
  ScatterND: { since: 18, types: ALL },
  Shape: { since: 23, types: ALL },
  Sigmoid: { since: 13, types: FLOATS },
  Sign: { since: 13, types: NUMBERS },
  Sin: { since: 7, types: ['double', 'float', 'float16'] },
  Slice: { since: 13, types: ALL },
  Softmax: { since: 13, types: FLOATS },
  Sqrt: { since: 13, types: FLOATS },
  Squeeze: { since: 23, types: ALL },
  Sub: { since: 14, types: NUMBERS },
  Tanh: { since: 13, types: FLOATS },
  Transpose: { since: 23, types: ALL },
  Unsqueeze: { since: 23, types: ALL },
  Where: { since: 16, types: ['bool', 'bfloat16', 'double', 'float', 'float16', 'int32', 'int64', 'uint8'] },
};
