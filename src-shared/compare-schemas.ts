// The Compare view's shapes: a comparison of two model versions on one prompt set, its items as the person
// sees them (left/right text only while blind), the revealed result, and the reward margins of a run.
import { z } from 'zod';
import { ChatMessage, Id } from './schemas';

const Count = z.number().int().nonnegative();

/** What the person pressed on an item, in screen terms. */
export const CompareVote = z.enum(['left', 'right', 'tie', 'both_bad']);
export type CompareVote = z.infer<typeof CompareVote>;

export const CompareStatus = z.enum([
  'generating',
  'voting',
  'revealed',
  'failed',
  'cancelled',
  'interrupted',
]);
export type CompareStatus = z.infer<typeof CompareStatus>;

export const PromptSourceKind = z.enum(['run_eval', 'prompt_ids', 'texts']);
export type PromptSourceKind = z.infer<typeof PromptSourceKind>;

/** Sampling settings shared by both models; one seed, so candidate i of a prompt has the same seed in both. */
export const CompareSampling = z.object({
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  n: z.number().int().min(1).max(8),
  maxNewTokens: z.number().int().min(1).max(4096),
  temperature: z.number().min(0).max(10),
  topP: z.number().gt(0).max(1),
  topK: z.number().int().min(0),
});
export type CompareSampling = z.infer<typeof CompareSampling>;

export const CompareModelRef = z.object({ id: Id, name: z.string() });
export type CompareModelRef = z.infer<typeof CompareModelRef>;

/** One item as shown: while blind and unrevealed, nothing here says which model wrote which side. */
export const CompareItem = z.object({
  position: Count,
  prompt: z.string(),
  promptMessages: z.array(ChatMessage).nullable(),
  /** null until both models have generated. */
  left: z.string().nullable(),
  right: z.string().nullable(),
  vote: CompareVote.nullable(),
  /** Which model is on the left: null while the comparison is blind and not revealed. */
  leftModel: z.enum(['a', 'b']).nullable(),
});
export type CompareItem = z.infer<typeof CompareItem>;

/**
 * B's win rate over A with a 95% Wilson interval (src-shared/win-rate.ts): ties and both-bad votes count half
 * a win each, so 0.5 means "cannot be told apart"; the counts are kept so a reader can recompute it.
 */
export const CompareResult = z.object({
  wins: Count,
  losses: Count,
  ties: Count,
  bothBad: Count,
  unvoted: Count,
  n: Count,
  rate: z.number(),
  low: z.number(),
  high: z.number(),
});
export type CompareResult = z.infer<typeof CompareResult>;

const CompareCommon = {
  id: Id,
  status: CompareStatus,
  blind: z.boolean(),
  promptSource: PromptSourceKind,
  runId: Id.nullable(),
  sampling: CompareSampling,
  jobId: Id.nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  revealedAt: z.string().nullable(),
  items: Count,
  voted: Count,
  /** Model A (reference) and B (candidate): null while blind and not revealed. */
  models: z.object({ a: CompareModelRef, b: CompareModelRef }).nullable(),
  result: CompareResult.nullable(),
};

export const CompareSummary = z.object(CompareCommon);
export type CompareSummary = z.infer<typeof CompareSummary>;

export const Comparison = z.object({ ...CompareCommon, itemList: z.array(CompareItem) });
export type Comparison = z.infer<typeof Comparison>;

export const ComparePromptSource = z.discriminatedUnion('kind', [
  /**
   * The eval split of the dataset a run trained on (its held-out prompts); without runId, the latest run that
   * produced model B.
   */
  z.object({ kind: z.literal('run_eval'), runId: Id.optional() }),
  z.object({ kind: z.literal('prompt_ids'), promptIds: z.array(Id).min(1).max(1000) }),
  z.object({
    kind: z.literal('texts'),
    texts: z.array(z.string().trim().min(1, 'must not be empty').max(20_000)).min(1).max(1000),
  }),
]);
export type ComparePromptSource = z.infer<typeof ComparePromptSource>;

/** One training pair's implicit-reward margin before and after the run. */
export const RewardMarginRow = z.object({
  pairId: Id,
  split: z.enum(['train', 'eval']),
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
  before: z.number(),
  after: z.number(),
});
export type RewardMarginRow = z.infer<typeof RewardMarginRow>;

export const RewardMargins = z.object({
  runId: Id,
  beta: z.number(),
  tuned: CompareModelRef,
  /** The version training started from; its margins are "before" (0 when it is the reference itself). */
  parent: CompareModelRef,
  rows: z.array(RewardMarginRow),
  /** Pairs the tuned model still ranks wrong (margin after <= 0). */
  stillWrong: Count,
});
export type RewardMargins = z.infer<typeof RewardMargins>;

/** KL(version || base) in nats per sample, estimated on samples of the version (mean summed log-ratio). */
export const KlEstimate = z.object({ kl: z.number(), stderr: z.number().min(0), n: Count });

/** One version of a lineage on the reward-vs-KL frontier (DPO paper, fig. 2). */
export const FrontierPoint = z.object({
  modelId: Id,
  name: z.string(),
  /** 0 for the base, 1 for a version trained from it, 2 for one trained from that, ... */
  depth: Count,
  /** The latest revealed comparison of this version (B) against the lineage's base (A); null if none yet. */
  comparisonId: Id.nullable(),
  /** Its win rate over the base with the 95% Wilson interval; the base itself sits at 0.5. */
  winRate: z.object({ rate: z.number(), low: z.number(), high: z.number(), n: Count }).nullable(),
  /** On that comparison's prompts; 0 for the base; null without a comparison. */
  kl: KlEstimate.nullable(),
});
export type FrontierPoint = z.infer<typeof FrontierPoint>;

export const Frontier = z.object({ baseModelId: Id, points: z.array(FrontierPoint) });
export type Frontier = z.infer<typeof Frontier>;
