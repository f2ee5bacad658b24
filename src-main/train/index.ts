// The training layer's public API: PAIRS.jsonl rows -> batches, sequence log-probs, the DPO trainer and its
// settings, LoRA modules and the PEFT adapter folder.
export * from './collate';
export * from './sequence-logps';
export * from './train-args';
export {
  describePlan,
  headChunksFor,
  MemoryBudgetError,
  type MemoryEstimate,
  type MemoryPlan,
} from './memory-plan';
export { CHECKPOINT_DIR, METRICS_FILE, NotFiniteError, safetensorsIO, trainDpo } from './trainer';
export type { TrainDpoInput, TrainDpoResult, TrainStartInfo } from './trainer';
export {
  modelHash,
  pairKeys,
  referenceHash,
  referenceLogps,
  sequenceKey,
  type CachedLogp,
  type ReferenceLogpCache,
} from './reference-logps';
export { openGraph, type OpenedGraph } from './graph-session';
export {
  loraModules,
  loraStateFrom,
  paramNameA,
  paramNameB,
  toPeftAdapter,
  type LoraModule,
  type LoraState,
} from './lora-modules';
export { readPeftAdapter, writePeftAdapter, type F32Tensor, type SafetensorsReader } from './peft-export';
export { DPO_LOSS_TYPES, type DpoLossType } from './losses';
export { OBJECTIVES, TRAIN_METHODS, type TrainMethod } from './objectives';
export { readKtoRows, tokenizeKtoRow, withKlCompletions, type UnpairedExample } from './kto-data';
export { SCHEDULE_KINDS, type ScheduleKind } from './schedule';
export { klEstimate, sampleLogps, sequenceKl, type KlEstimate, type KlSample } from './sequence-kl';
