// Best-of-N sampling: each prompt is prefilled once and its cache forked for N candidates; the live candidates
// of a group of prompts share one decode call per step and leave the batch when they finish. Each candidate
// draws from its own seeded stream, so batching and scheduling never change what it samples.
import type { DecoderModel, TokenizerLike } from './decoder-model';
import { Prng, deriveCandidateSeed } from './prng';
import { sampleToken, validateWarperSettings, type WarperSettings } from './sampling';
import { Completion, type FinishReason } from './stop';

export interface BestOfNSampling extends WarperSettings {
  maxNewTokens: number;
  stopStrings: readonly string[];
  /** The run seed; each candidate's own seed is derived from it (see deriveCandidateSeed). */
  seed: number;
}

export interface PromptInput {
  id: string;
  promptIds: readonly number[];
}

export interface TokenEvent {
  promptId: string;
  promptIndex: number;
  candidate: number;
  tokenId: number;
  /** log_softmax(raw logits)[tokenId]. */
  logp: number;
  /** Text that will not be taken back: a possible stop-string start or partial character is held back. */
  textSoFar: string;
  /** Set on the candidate's last token. */
  finishReason: FinishReason | null;
}

export interface Candidate {
  promptId: string;
  candidate: number;
  /** Decoded text, cut right before a stop string, without the eos token. */
  text: string;
  /** Every generated token, including eos and the token that completed a stop string. */
  tokenIds: number[];
  /** Sum over tokenIds of log_softmax(raw logits)[token]: the model's own log-probability. */
  logp: number;
  finishReason: FinishReason;
  stopString: string | null;
  /** deriveCandidateSeed(run seed, prompt index, candidate index): the seed of this candidate's own stream. */
  seed: number;
  sampling: BestOfNSampling;
}

export interface PromptCandidates {
  promptId: string;
  candidates: Candidate[];
}

export interface BestOfNOptions<Cache> {
  model: DecoderModel<Cache>;
  tokenizer: TokenizerLike;
  prompts: readonly PromptInput[];
  n: number;
  sampling: BestOfNSampling;
  eosIds: Iterable<number>;
  onToken?: (event: TokenEvent) => void;
  signal?: AbortSignal;
  /** How many prompts share one decode batch (default 1). Results do not depend on it. */
  promptsPerBatch?: number;
}

/** One candidate in flight. */
interface Slot<Cache> {
  promptIndex: number;
  candidate: number;
  seed: number;
  rng: Prng;
  completion: Completion;
  logp: number;
  cache: Cache | null;
}

interface Run<Cache> {
  options: BestOfNOptions<Cache>;
  eosIds: ReadonlySet<number>;
}

function validate<Cache>(options: BestOfNOptions<Cache>): void {
  const { n, prompts, promptsPerBatch = 1 } = options;
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(promptsPerBatch) || promptsPerBatch < 1) {
    throw new Error(`promptsPerBatch must be an integer >= 1, got ${promptsPerBatch}`);
  }
  validateWarperSettings(options.sampling);
  const empty = prompts.find((p) => p.promptIds.length === 0);
  if (empty) throw new Error(`prompt "${empty.id}" has no tokens; prefill needs at least one`);
}

function makeSlots<Cache>(run: Run<Cache>, promptIndex: number): Slot<Cache>[] {
  const { sampling, n, tokenizer } = run.options;
  const criteria = {
    eosIds: run.eosIds,
    maxNewTokens: sampling.maxNewTokens,
    stopStrings: sampling.stopStrings,
  };
  return Array.from({ length: n }, (_, candidate) => {
    const seed = deriveCandidateSeed(sampling.seed, promptIndex, candidate);
    const completion = new Completion(criteria, (ids) => tokenizer.decode(ids));
    return { promptIndex, candidate, seed, rng: Prng.fromSeed(seed), completion, logp: 0, cache: null };
  });
}

/** Samples the slot's next token from `logits`, records it, streams it; frees the cache when it ends. */
function step<Cache>(run: Run<Cache>, slot: Slot<Cache>, logits: Float32Array): void {
  const { sampling, prompts, onToken, model } = run.options;
  const sampled = sampleToken(logits, sampling, slot.rng);
  slot.logp += sampled.logp;
  const finishReason = slot.completion.push(sampled.tokenId);
  if (finishReason !== null && slot.cache !== null) {
    model.release(slot.cache);
    slot.cache = null;
  }
  onToken?.({
    promptId: (prompts[slot.promptIndex] as PromptInput).id,
    promptIndex: slot.promptIndex,
    candidate: slot.candidate,
    tokenId: sampled.tokenId,
    logp: sampled.logp,
    textSoFar: slot.completion.streamText,
    finishReason,
  });
}

/** Prefills once, samples every candidate's first token, and forks the cache for those still going. */
async function startPrompt<Cache>(run: Run<Cache>, slots: Slot<Cache>[]): Promise<void> {
  const { model, prompts } = run.options;
  const first = slots[0] as Slot<Cache>;
  const { logits, cache } = await model.prefill((prompts[first.promptIndex] as PromptInput).promptIds);
  try {
    for (const slot of slots) step(run, slot, logits);
    const live = slots.filter((slot) => slot.completion.finishReason === null);
    if (live.length === 0 || run.options.signal?.aborted) return;
    const forks = await model.fork(cache, live.length);
    if (forks.length !== live.length)
      throw new Error(`fork returned ${forks.length} caches, expected ${live.length}`);
    live.forEach((slot, i) => (slot.cache = forks[i] as Cache));
  } finally {
    model.release(cache);
  }
}

/** One batched decode over every live candidate of the group. */
async function decodeStep<Cache>(run: Run<Cache>, live: Slot<Cache>[]): Promise<void> {
  const caches = live.map((slot) => slot.cache as Cache);
  const tokens = live.map((slot) => slot.completion.tokenIds.at(-1) as number);
  const rows = await run.options.model.decode(caches, tokens);
  if (rows.length !== live.length)
    throw new Error(`decode returned ${rows.length} rows for ${live.length} candidates`);
  live.forEach((slot, i) => step(run, slot, rows[i] as Float32Array));
}

function liveSlots<Cache>(slots: readonly Slot<Cache>[]): Slot<Cache>[] {
  return slots.filter((slot) => slot.cache !== null && slot.completion.finishReason === null);
}

/** Runs a group of prompts to the end; on abort or error, frees every cache still held. */
async function runGroup<Cache>(run: Run<Cache>, group: Slot<Cache>[][]): Promise<void> {
  const { signal, model } = run.options;
  const all = group.flat();
  try {
    for (const slots of group) {
      if (signal?.aborted) return;
      await startPrompt(run, slots);
    }
    for (let live = liveSlots(all); live.length > 0 && !signal?.aborted; live = liveSlots(all)) {
      await decodeStep(run, live);
    }
  } finally {
    for (const slot of all) {
      if (slot.cache !== null) model.release(slot.cache);
      slot.cache = null;
      slot.completion.cancel();
    }
  }
}

function toCandidate<Cache>(run: Run<Cache>, slot: Slot<Cache>): Candidate {
  const { completion } = slot;
  return {
    promptId: (run.options.prompts[slot.promptIndex] as PromptInput).id,
    candidate: slot.candidate,
    text: completion.text,
    tokenIds: [...completion.tokenIds],
    logp: slot.logp,
    finishReason: completion.finishReason ?? 'cancelled',
    stopString: completion.stopString,
    seed: slot.seed,
    sampling: { ...run.options.sampling, stopStrings: [...run.options.sampling.stopStrings] },
  };
}

/**
 * N candidates per prompt. Prompts are taken `promptsPerBatch` at a time; an aborted signal stops within one
 * decode step and every unfinished candidate (including those of prompts not started) ends 'cancelled'.
 */
export async function generateBestOfN<Cache>(options: BestOfNOptions<Cache>): Promise<PromptCandidates[]> {
  validate(options);
  const { prompts, promptsPerBatch = 1 } = options;
  const run: Run<Cache> = { options, eosIds: new Set(options.eosIds) };
  const slots = prompts.map((_, promptIndex) => makeSlots(run, promptIndex));
  for (let start = 0; start < slots.length; start += promptsPerBatch) {
    await runGroup(run, slots.slice(start, start + promptsPerBatch));
  }
  return slots.map((promptSlots, promptIndex) => ({
    promptId: (prompts[promptIndex] as PromptInput).id,
    candidates: promptSlots.map((slot) => toCandidate(run, slot)),
  }));
}
