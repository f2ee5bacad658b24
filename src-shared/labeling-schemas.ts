// Domain shapes of labeling and data: reason tags, annotator statistics, datasets with their stats and
// agreement, exports and pairing strategies. Shared by main and renderer like schemas.ts.
import { z } from 'zod';
import { ChatMessage, Id } from './schemas';

const Count = z.number().int().nonnegative();
const Rate = z.number().min(0).max(1);

/** Keys the Rate view already uses; a reason tag may not take one of them. */
export const RESERVED_RATING_KEYS = [
  '1',
  '2',
  'a',
  'b',
  'q',
  'w',
  'e',
  't',
  'x',
  's',
  'u',
  'n',
  'm',
  'd',
  '?',
] as const;

export const RatingTag = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(40, 'must be at most 40 characters'),
  key: z
    .string()
    .length(1, 'must be one character')
    .transform((key) => key.toLowerCase())
    .refine((key) => !(RESERVED_RATING_KEYS as readonly string[]).includes(key), {
      message: `must not be one of the Rate view's keys (${RESERVED_RATING_KEYS.join(' ')})`,
    }),
});
export type RatingTag = z.infer<typeof RatingTag>;

export const RatingTags = z
  .array(RatingTag)
  .max(20)
  .refine((tags) => new Set(tags.map((tag) => tag.key)).size === tags.length, 'each tag needs its own key')
  .refine((tags) => new Set(tags.map((tag) => tag.name)).size === tags.length, 'tag names must differ');

export const AnnotatorStats = z.object({
  annotatorId: Id,
  name: z.string(),
  rated: Count,
  remaining: Count,
  total: Count,
  /** Median of time_spent_ms over the live ratings; null before the first one. */
  medianTimeMs: z.number().nonnegative().nullable(),
  qualityChecks: Count,
  /** Quality checks whose choice matched the annotator's live rating of the same pair. */
  consistentChecks: Count,
  selfConsistency: Rate.nullable(),
});
export type AnnotatorStats = z.infer<typeof AnnotatorStats>;

export const DatasetFilters = z.object({
  annotatorIds: z.array(Id).optional(),
  /** Keep ratings carrying at least one of these reason tags. */
  tags: z.array(z.string()).optional(),
  /** ISO-8601 bounds on the rating's created_at, inclusive. */
  from: z.string().optional(),
  to: z.string().optional(),
  /** With several ratings of a pair: the least share of them that must agree with the majority. */
  minAgreement: Rate.optional(),
  /** Also take imported pairs nobody rated (after the filters), with the file's preference. */
  includeImported: z.boolean().optional(),
  /** Set on a snapshot of one imported file (import --dataset): it keeps those pairs; a rebuild re-splits. */
  importedFile: z.string().optional(),
});
export type DatasetFilters = z.infer<typeof DatasetFilters>;

export const LengthStats = z.object({ mean: z.number(), median: z.number(), max: z.number() });
export type LengthStats = z.infer<typeof LengthStats>;

const TextLengths = z.object({ prompt: LengthStats, chosen: LengthStats, rejected: LengthStats });

export const DatasetStats = z.object({
  pairs: Count,
  train: Count,
  eval: Count,
  fromRatings: Count,
  fromImport: Count,
  /** Live ratings that passed the filters, by choice. */
  comparisons: Count,
  choices: z.object({ a: Count, b: Count, tie: Count, both_bad: Count, skip: Count }),
  tieRate: Rate,
  bothBadRate: Rate,
  skipRate: Rate,
  dropped: z.object({
    /** The majority was tie, both bad or skip. */
    noPreference: Count,
    /** As many ratings for a as for b. */
    conflicts: Count,
    lowAgreement: Count,
    duplicates: Count,
  }),
  /** Per annotator: live ratings counted, and the dataset's pairs their votes decided on each side. */
  perAnnotator: z.array(
    z.object({
      annotatorId: Id,
      name: z.string(),
      comparisons: Count,
      train: Count.optional(),
      eval: Count.optional(),
    }),
  ),
  /** Characters, and whitespace-separated words until a real tokenizer is wired in (not model tokens). */
  lengths: z.object({ characters: TextLengths, whitespaceTokens: TextLengths }),
});
export type DatasetStats = z.infer<typeof DatasetStats>;

/** A dataset's split before it is built: pairs per side, and per annotator the pairs their votes decided. */
export const DatasetSplitPlan = z.object({
  pairs: Count,
  train: Count,
  eval: Count,
  fromRatings: Count,
  perAnnotator: z.array(z.object({ annotatorId: Id, name: z.string(), train: Count, eval: Count })),
});
export type DatasetSplitPlan = z.infer<typeof DatasetSplitPlan>;

export const Dataset = z.object({
  id: Id,
  name: z.string(),
  description: z.string().nullable(),
  filters: DatasetFilters,
  evalFraction: z.number(),
  splitSeed: z.number().int(),
  frozenAt: z.string().nullable(),
  createdAt: z.string(),
  stats: DatasetStats,
});
export type Dataset = z.infer<typeof Dataset>;

export const DatasetName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');
export const EvalFraction = z.number().min(0).lt(1);
export const Split = z.enum(['train', 'eval']);
export type Split = z.infer<typeof Split>;

export const DatasetRow = z.object({
  pairId: Id,
  prompt: z.string(),
  promptMessages: z.array(ChatMessage).nullable(),
  chosen: z.string(),
  rejected: z.string(),
  weight: z.number(),
  split: Split,
});
export type DatasetRow = z.infer<typeof DatasetRow>;

export const PairwiseAgreement = z.object({
  annotatorA: Id,
  annotatorB: Id,
  sharedPairs: Count,
  kappa: z.number().nullable(),
});

/** Over the dataset's pairs and every live rating of them (skips left out; ties a category). */
export const Agreement = z.object({
  annotators: Count,
  /** Pairs rated by two or more annotators. */
  sharedPairs: Count,
  alpha: z.number().nullable(),
  pairwise: z.array(PairwiseAgreement),
});
export type Agreement = z.infer<typeof Agreement>;

export const ExportFormat = z.enum(['trl', 'trl-conversational', 'csv', 'parquet']);
export type ExportFormat = z.infer<typeof ExportFormat>;

export const PairingStrategy = z.enum(['all_pairs', 'best_worst', 'random', 'uncertainty']);
export type PairingStrategy = z.infer<typeof PairingStrategy>;

/** How createPairs' uncertainty strategy scored the candidates: implicit rewards, or log-probs as a fallback. */
export const UncertaintyResult = z.object({
  modelId: Id,
  basis: z.enum(['implicit_reward', 'logp']),
  /** Why the basis is not the implicit reward (an untuned model version), when it is not. */
  note: z.string().nullable(),
  rewards: z.array(z.object({ candidateId: Id, reward: z.number() })),
  margins: z.array(z.object({ candidateA: Id, candidateB: Id, margin: z.number() })),
});
export type UncertaintyResult = z.infer<typeof UncertaintyResult>;

export const CandidateInfo = z.object({
  id: Id,
  text: z.string(),
  logp: z.number().nullable(),
  tokenCount: Count.nullable(),
});
export type CandidateInfo = z.infer<typeof CandidateInfo>;
