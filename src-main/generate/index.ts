// Public API of the generation layer: best-of-N sampling over any DecoderModel, the sampler and stop rules,
// and the ONNX decoder of a real checkpoint (loadGenerator).
export * from './best-of-n';
export type { DecoderModel, TokenizerLike } from './decoder-model';
export { Prng, deriveCandidateSeed, type PrngState } from './prng';
export * from './sampling';
export * from './stop';
export {
  generatorTokenizer,
  loadGenerator,
  OnnxDecoder,
  type GenerationDefaults,
  type GeneratorTokenizer,
  type LoadedGenerator,
  type LoadGeneratorOptions,
  type OnnxCache,
  type OnnxDecoderOptions,
} from './onnx-decoder';
