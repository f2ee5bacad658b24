// The models' public API: HF config -> ModelConfig, safetensors, checkpoint loading, tokenizer and chat
// templates, and the transformer's scoring and KV-cache graphs.
export * from './config';
export * from './safetensors';
export {
  applyTransform,
  toCheckpointTensors,
  transformedDims,
  weightsFor,
  WEIGHT_TABLES,
  type WeightEntry,
  type WeightTransform,
} from './weight-names';
export { canonicalShape, loadCheckpoint, readModelConfig, type Checkpoint } from './load-checkpoint';
export { ropeInverseFrequencies } from './rope';
export * from './tokenizer';
export {
  buildCachedStepGraph,
  buildScoringGraph,
  decoder,
  forward,
  type ForwardInputs,
  type GraphOptions,
  type KvCache,
  type LoraTensors,
} from './transformer';
export { loadPeftAdapter, mergeLora, type LoraWeights, type PeftAdapter } from './lora';
