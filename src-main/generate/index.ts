// Public API of the generation layer: best-of-N sampling over any DecoderModel, the sampler and stop rules.
export * from './best-of-n';
export type { DecoderModel, TokenizerLike } from './decoder-model';
export { Prng, deriveCandidateSeed, type PrngState } from './prng';
export * from './sampling';
export * from './stop';
