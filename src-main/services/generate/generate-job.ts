// Best-of-N generation as a use case, without the database: a checkpoint (+ adapter), prompts as text or chat
// messages, N candidates each. Streams text per candidate and progress; the caller stores the result
// (CandidatesRepo.storeGenerated) or writes it out (the `generate` command).
import {
  generateBestOfN,
  loadGenerator,
  type BestOfNSampling,
  type LoadedGenerator,
  type PromptInput,
  type TokenEvent,
} from '../../generate/index';
import type { DeviceRequest } from '../../runtime/index';

export interface GenerationPrompt {
  id: string;
  text?: string;
  messages?: Array<{ role: string; content: string }>;
}

export interface GenerationRequest {
  modelDir: string;
  adapterDir?: string;
  device?: DeviceRequest;
  prompts: GenerationPrompt[];
  n: number;
  maxNewTokens: number;
  /** Unset: generation_config.json's value, else transformers' default (temperature 1, top-k 50, top-p 1). */
  temperature?: number;
  topP?: number;
  topK?: number;
  /**
   * The run seed. Candidate c of the prompt at position p in `prompts` samples from its own stream seeded
   * with deriveCandidateSeed(seed, p, c), so batching never changes a candidate; the same prompt at another
   * position in another request gets other candidates.
   */
  seed: number;
  stopStrings?: string[];
  /** Prompts whose candidates share one decode batch (default 1). Results do not depend on it. */
  promptsPerBatch?: number;
}

export interface GeneratedCandidate {
  promptId: string;
  index: number;
  text: string;
  tokenIds: number[];
  tokenCount: number;
  logp: number;
  /** eos | stop | length | cancelled */
  finishReason: string;
  seed: number;
  sampling: Record<string, unknown>;
}

export interface GenerationHooks {
  onToken?: (e: { promptId: string; candidate: number; textSoFar: string; done: boolean }) => void;
  onProgress?: (p: {
    promptsDone: number;
    promptsTotal: number;
    tokens: number;
    tokensPerSecond: number;
  }) => void;
  /** Stops within one decode step; unfinished candidates come back with finishReason 'cancelled'. */
  signal?: AbortSignal;
  /** Reuse a loaded generator (it stays open); otherwise one is loaded from modelDir and closed at the end. */
  generator?: LoadedGenerator;
}

export interface GenerationResult {
  candidates: GeneratedCandidate[];
  device: string;
  deviceNote?: string;
  seconds: number;
  /** Generated tokens, all candidates together. */
  tokens: number;
}

/** transformers' GenerationConfig defaults, used where neither the request nor the checkpoint sets a value. */
const TRANSFORMERS_DEFAULTS = { temperature: 1, topK: 50, topP: 1 };
const PROGRESS_INTERVAL_MS = 250;

function checkRequest(req: GenerationRequest): void {
  const positiveInteger = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${name} must be an integer >= 1, got ${value}`);
  };
  positiveInteger('n', req.n);
  positiveInteger('maxNewTokens', req.maxNewTokens);
  if (!Number.isSafeInteger(req.seed) || req.seed < 0)
    throw new Error(`seed must be a non-negative integer, got ${req.seed}`);
  if (req.prompts.length === 0) throw new Error('no prompts to generate from');
  const seen = new Set<string>();
  req.prompts.forEach((p, i) => {
    if (seen.has(p.id)) throw new Error(`prompt ${i + 1}: id "${p.id}" is used twice`);
    seen.add(p.id);
    if (p.messages === undefined && (p.text === undefined || p.text === ''))
      throw new Error(`prompt ${i + 1} ("${p.id}") has neither text nor messages`);
  });
}

/** The warpers and stop rules of a request, with the checkpoint's defaults filled in. */
export function resolveSampling(req: GenerationRequest, generator: LoadedGenerator): BestOfNSampling {
  const defaults = { ...TRANSFORMERS_DEFAULTS, ...generator.generationDefaults };
  return {
    temperature: req.temperature ?? defaults.temperature,
    topK: req.topK ?? defaults.topK,
    topP: req.topP ?? defaults.topP,
    maxNewTokens: req.maxNewTokens,
    stopStrings: req.stopStrings ?? [],
    seed: req.seed,
  };
}

/** Token ids per prompt; a learned position table must hold the prompt and every new token. */
function encodePrompts(req: GenerationRequest, generator: LoadedGenerator): PromptInput[] {
  const { positions, maxPositions } = generator.config;
  return req.prompts.map((p, i) => {
    const promptIds = generator.tokenizer.encodeChat(p.messages ?? (p.text as string));
    if (promptIds.length === 0) throw new Error(`prompt ${i + 1} ("${p.id}") encodes to no tokens`);
    if (positions === 'learned' && promptIds.length + req.maxNewTokens > maxPositions)
      throw new Error(
        `prompt ${i + 1} ("${p.id}") has ${promptIds.length} tokens; with ${req.maxNewTokens} new tokens ` +
          `that is past the model's ${maxPositions} positions`,
      );
    return { id: p.id, promptIds };
  });
}

/** Counts tokens and finished prompts from the token stream, and reports progress at most every 250 ms. */
function progressTracker(req: GenerationRequest, hooks: GenerationHooks, started: number) {
  const finished = new Map<string, number>();
  let promptsDone = 0;
  let tokens = 0;
  let reported = 0;
  const report = (now: number) => {
    reported = now;
    const seconds = (now - started) / 1000;
    hooks.onProgress?.({
      promptsDone,
      promptsTotal: req.prompts.length,
      tokens,
      tokensPerSecond: seconds > 0 ? tokens / seconds : 0,
    });
  };
  return {
    get tokens() {
      return tokens;
    },
    onToken(e: TokenEvent) {
      tokens += 1;
      const done = e.finishReason !== null;
      hooks.onToken?.({ promptId: e.promptId, candidate: e.candidate, textSoFar: e.textSoFar, done });
      const now = performance.now();
      if (done) {
        const count = (finished.get(e.promptId) ?? 0) + 1;
        finished.set(e.promptId, count);
        if (count === req.n) {
          promptsDone += 1;
          return report(now);
        }
      }
      if (now - reported >= PROGRESS_INTERVAL_MS) report(now);
    },
  };
}

export async function runGeneration(
  req: GenerationRequest,
  hooks: GenerationHooks = {},
): Promise<GenerationResult> {
  checkRequest(req);
  const generator =
    hooks.generator ??
    (await loadGenerator({
      modelDir: req.modelDir,
      ...(req.adapterDir ? { adapterDir: req.adapterDir } : {}),
      device: req.device ?? 'auto',
    }));
  try {
    const sampling = resolveSampling(req, generator);
    const prompts = encodePrompts(req, generator);
    const started = performance.now();
    const progress = progressTracker(req, hooks, started);
    const results = await generateBestOfN({
      model: generator.model,
      tokenizer: generator.tokenizer,
      prompts,
      n: req.n,
      sampling,
      eosIds: generator.eosIds,
      onToken: (e) => progress.onToken(e),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      promptsPerBatch: req.promptsPerBatch ?? 1,
    });
    const seconds = (performance.now() - started) / 1000;
    const candidates = results.flatMap((r) =>
      r.candidates.map((c): GeneratedCandidate => ({
        promptId: c.promptId,
        index: c.candidate,
        text: c.text,
        tokenIds: c.tokenIds,
        tokenCount: c.tokenIds.length,
        logp: c.logp,
        finishReason: c.finishReason,
        seed: c.seed,
        sampling: {
          temperature: sampling.temperature,
          topK: sampling.topK,
          topP: sampling.topP,
          maxNewTokens: sampling.maxNewTokens,
          stopStrings: sampling.stopStrings,
          runSeed: sampling.seed,
        },
      })),
    );
    return {
      candidates,
      device: generator.device,
      ...(generator.deviceNote === undefined ? {} : { deviceNote: generator.deviceNote }),
      seconds,
      tokens: progress.tokens,
    };
  } finally {
    if (!hooks.generator) await generator.close();
  }
}
