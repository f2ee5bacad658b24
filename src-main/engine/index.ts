// The engine's public API: the tensor DSL, autodiff, optimizers and the ONNX emitter.
export * from './dtype';
export * from './shape';
export {
  Graph,
  Tensor,
  type Attr,
  type CustomGradient,
  type FedWeight,
  type Leaf,
  type Node,
  type WeightDType,
} from './graph';
export * from './ops-elementwise';
export * from './ops-shape';
export * from './ops-index';
export * from './ops-reduce';
export { grad, vjp } from './autodiff';
export { recomputed } from './recompute';
export { reduceToShape } from './reduce-to-shape';
export { GRAD_RULES, type GradRule } from './grad-rules';
export * from './emit';
export * from './nn';
export * from './optim';
export { widenWeight } from './weights';
