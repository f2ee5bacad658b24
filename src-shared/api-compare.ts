// The Compare part of the API contract (spread into apiContract in api.ts): comparisons of two model versions
// with blind votes and a reveal, their history, and a run's implicit-reward margins.
import { z } from 'zod';
import {
  ComparePromptSource,
  Comparison,
  CompareSummary,
  CompareVote,
  Frontier,
  RewardMargins,
} from './compare-schemas';
import { Job } from './api-jobs';
import { Id } from './schemas';

const comparisonInput = z.object({ comparisonId: Id });

export const compareContract = {
  createComparison: {
    input: z.object({
      /** The reference (typically the base). */
      modelAId: Id,
      /** The candidate (typically the tuned version): the win rate is B's over A. */
      modelBId: Id,
      prompts: ComparePromptSource,
      blind: z.boolean().default(true),
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 32 - 1)
        .default(0),
      n: z.number().int().min(1).max(8).default(1),
      maxNewTokens: z.number().int().min(1).max(4096).default(64),
      temperature: z.number().min(0).max(10).default(1),
      topP: z.number().gt(0).max(1).default(1),
      topK: z.number().int().min(0).default(0),
    }),
    output: CompareSummary,
  },
  /** Blind-safe: while blind and unrevealed, neither the models nor which side each is on. */
  getComparison: { input: comparisonInput, output: Comparison },
  voteComparison: {
    input: z.object({ comparisonId: Id, position: z.number().int().nonnegative(), vote: CompareVote }),
    output: z.object({ items: z.number().int().nonnegative(), voted: z.number().int().nonnegative() }),
  },
  revealComparison: { input: comparisonInput, output: Comparison },
  /** Generates the outputs still missing after a failure, a cancel or a closed app (same seed, same results). */
  resumeComparison: { input: comparisonInput, output: CompareSummary },
  listComparisons: {
    input: z.object({ limit: z.number().int().min(1).max(500).default(50) }),
    output: z.array(CompareSummary),
  },
  /** Per pair of the run's dataset: beta * (log-ratio chosen - log-ratio rejected), before and after. */
  getRewardMargins: { input: z.object({ runId: Id }), output: RewardMargins },
  /**
   * Starts a job (kind 'frontier', progress and cancel as any job) that places the versions of a model's
   * lineage (base -> round 1 -> ...) on the reward-vs-KL frontier: each version's blind win rate over the
   * base against its KL from the base, estimated on samples of it; estimates already known are reused.
   */
  startFrontier: { input: z.object({ modelId: Id }), output: z.object({ jobId: Id }) },
  /** The model's latest frontier job and, once it completed, its frontier (kept after a restart). */
  getFrontier: {
    input: z.object({ modelId: Id }),
    output: z.object({ job: Job.nullable(), frontier: Frontier.nullable() }),
  },
};

export const compareEvents = {
  comparisonsChanged: z.object({
    comparisonId: Id,
    kind: z.enum(['created', 'resumed', 'generated', 'voted', 'revealed', 'failed']),
  }),
};
