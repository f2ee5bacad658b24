// The Generate part of the API contract (spread into apiContract in api.ts): prompts pasted or imported,
// best-of-N sampling from a model version as a job with streamed text, and the candidates per prompt.
import { z } from 'zod';
import { DeviceRequest, Id } from './schemas';

const Count = z.number().int().nonnegative();
const MiB = 1024 * 1024;
const PromptText = z.string().trim().min(1, 'must not be empty').max(100_000);

export const PromptSummary = z.object({
  promptId: Id,
  text: z.string(),
  candidates: Count,
  createdAt: z.string(),
});
export type PromptSummary = z.infer<typeof PromptSummary>;

/** A thumbs up (desirable) or down (undesirable) on one candidate: KTO's unpaired label. */
export const CandidateLabel = z.enum(['desirable', 'undesirable']);
export type CandidateLabel = z.infer<typeof CandidateLabel>;

export const GeneratedCandidateInfo = z.object({
  id: Id,
  promptId: Id,
  modelId: Id.nullable(),
  text: z.string(),
  logp: z.number().nullable(),
  tokenCount: Count.nullable(),
  /** eos | stop | length (null for imported responses) */
  finishReason: z.string().nullable(),
  seed: z.number().int().nullable(),
  /** Thumbs up / down given in the Generate view; null when none. */
  label: CandidateLabel.nullable(),
});
export type GeneratedCandidateInfo = z.infer<typeof GeneratedCandidateInfo>;

export const GenerationSettings = z.object({
  n: z.number().int().min(1).max(64).default(4),
  maxNewTokens: z.number().int().min(1).max(4096).default(64),
  // Unset: the model's generation_config.json, else transformers' defaults.
  temperature: z.number().min(0).max(10).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().min(0).max(100_000).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  stopStrings: z.array(z.string().min(1).max(200)).max(16).default([]),
  device: DeviceRequest.default('auto'),
});
export type GenerationSettings = z.input<typeof GenerationSettings>;

/** One streamed piece: the text so far of one candidate. */
export const TokenUpdate = z.object({
  promptId: Id,
  candidate: Count,
  text: z.string(),
  done: z.boolean(),
});
export type TokenUpdate = z.infer<typeof TokenUpdate>;

/** One generation job as a run of the Generate view: what it was asked for and what it stored. */
export const GenerationRunSummary = z.object({
  jobId: Id,
  status: z.string(),
  modelId: Id.nullable(),
  n: Count,
  prompts: Count,
  /** Distinct candidates the run stored or found already stored (0 until it finishes). */
  candidates: Count,
  createdAt: z.string(),
});
export type GenerationRunSummary = z.infer<typeof GenerationRunSummary>;

export const GenerationRunPrompt = z.object({
  promptId: Id,
  prompt: z.string(),
  /** This run's candidates of the prompt (each once, in sampling order). */
  candidates: z.array(GeneratedCandidateInfo),
  /** Why there are fewer than N, in words; null when there are N. */
  shortfall: z.string().nullable(),
});
export type GenerationRunPrompt = z.infer<typeof GenerationRunPrompt>;

export const GenerationRun = GenerationRunSummary.extend({
  settings: z.record(z.string(), z.unknown()),
  results: z.array(GenerationRunPrompt),
});
export type GenerationRun = z.infer<typeof GenerationRun>;

export const generateContract = {
  /** Newest first. */
  listPrompts: {
    input: z.object({ limit: z.number().int().min(1).max(1000).default(200) }),
    output: z.array(PromptSummary),
  },
  /** Stores pasted prompts (each once) and returns their ids in the given order. */
  addPrompts: {
    input: z.object({ texts: z.array(PromptText).min(1).max(1000) }),
    output: z.object({ promptIds: z.array(Id), promptsAdded: Count }),
  },
  /** A prompt file (.txt one per line, .jsonl, .csv, .parquet as base64): its prompts' ids in file order. */
  importPrompts: {
    input: z.object({
      fileName: z.string().min(1).max(255),
      content: z.string().max(Math.ceil((64 * MiB * 4) / 3) + 4, 'file is larger than 64 MiB'),
      encoding: z.enum(['utf8', 'base64']).default('utf8'),
    }),
    output: z.object({
      fileName: z.string(),
      format: z.string(),
      rows: Count,
      promptsAdded: Count,
      duplicatesSkipped: Count,
      promptIds: z.array(Id),
    }),
  },
  /** Starts best-of-N sampling as a job; its progress comes as jobsChanged, its text as generationTokens. */
  startGeneration: {
    input: GenerationSettings.extend({
      modelId: Id,
      promptIds: z.array(Id).min(1).max(1000),
    }),
    output: z.object({ jobId: Id }),
  },
  /** Generation runs (jobs), newest first: they stay listed after a reload. */
  listGenerationRuns: {
    input: z.object({ limit: z.number().int().min(1).max(200).default(20) }),
    output: z.array(GenerationRunSummary),
  },
  /** One run with its prompts and the candidates it produced, and why a prompt has fewer than N. */
  getGenerationRun: { input: z.object({ jobId: Id }), output: GenerationRun },
  /** Candidates of these prompts in prompt order (optionally only one model's), each prompt's in id order. */
  listPromptCandidates: {
    input: z.object({ promptIds: z.array(Id).min(1).max(1000), modelId: Id.optional() }),
    output: z.array(
      z.object({ promptId: Id, prompt: z.string(), candidates: z.array(GeneratedCandidateInfo) }),
    ),
  },
  /**
   * Thumbs up / down on one candidate (null clears it), for KTO runs of datasets that hold its prompt;
   * returns the label it replaced, so the view can undo the change.
   */
  labelCandidate: {
    input: z.object({ candidateId: Id, label: CandidateLabel.nullable() }),
    output: z.object({
      candidateId: Id,
      label: CandidateLabel.nullable(),
      previous: CandidateLabel.nullable(),
    }),
  },
};

export const generateEvents = {
  /** Streamed text of a generation job, batched (at most a few per second per job). */
  generationTokens: z.object({ jobId: Id, updates: z.array(TokenUpdate) }),
};
