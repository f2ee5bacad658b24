// Domain shapes shared by main and renderer: zod schemas with their inferred types.
import { z } from 'zod';

export const Id = z.number().int().positive();

export const Choice = z.enum(['a', 'b', 'tie', 'both_bad', 'skip']);
export type Choice = z.infer<typeof Choice>;

/** What the person pressed, in screen terms; the service maps it onto the pair's sides a/b. */
export const ScreenChoice = z.enum(['left', 'right', 'tie', 'both_bad', 'skip']);
export type ScreenChoice = z.infer<typeof ScreenChoice>;

/** 1 slight, 2 clear, 3 strong. Only meaningful for a or b. */
export const Strength = z.union([z.literal(1), z.literal(2), z.literal(3)]);
export type Strength = z.infer<typeof Strength>;

export const Annotator = z.object({ id: Id, name: z.string(), createdAt: z.string() });
export type Annotator = z.infer<typeof Annotator>;

export const AnnotatorName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters');

export const RatingProgress = z.object({
  /** Pairs with a live judgement (left, right, tie, both bad) by this annotator; skips are not counted. */
  rated: z.number().int().nonnegative(),
  /** Pairs this annotator skipped (they leave the queue but are not rated). */
  skipped: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
});
export type RatingProgress = z.infer<typeof RatingProgress>;

export const ShownResponse = z.object({ candidateId: Id, text: z.string() });

export const PairToRate = z.object({
  pairId: Id,
  prompt: z.string(),
  left: ShownResponse,
  right: ShownResponse,
  /** A pair the person already rated, shown again (sides swapped) to measure self-consistency. */
  qualityCheck: z.boolean(),
});
export type PairToRate = z.infer<typeof PairToRate>;

export const RatingSummary = z.object({
  comparisonId: Id,
  pairId: Id,
  prompt: z.string(),
  choice: Choice,
  /** The same choice in the terms of the screen the person saw (which response was on the left). */
  shownChoice: ScreenChoice,
  strength: Strength.nullable(),
  note: z.string().nullable(),
  leftCandidateId: Id,
  timeSpentMs: z.number().int().nonnegative(),
  createdAt: z.string(),
});
export type RatingSummary = z.infer<typeof RatingSummary>;

export const ImportResult = z.object({
  fileName: z.string(),
  rows: z.number().int().nonnegative(),
  pairsAdded: z.number().int().nonnegative(),
  duplicatesSkipped: z.number().int().nonnegative(),
  /** Rows whose chosen and rejected are the same text: dropped, not stored. */
  identicalSkipped: z.number().int().nonnegative(),
});
export type ImportResult = z.infer<typeof ImportResult>;

/** One chat turn, as in TRL's conversational rows and Hugging Face chat templates. */
export const ChatMessage = z.object({ role: z.string().min(1), content: z.string() });
export type ChatMessage = z.infer<typeof ChatMessage>;

/** What an imported file holds: preference pairs, or prompts to generate candidates for. */
export const ImportAs = z.enum(['pairs', 'prompts']);
export type ImportAs = z.infer<typeof ImportAs>;

export const FileImportResult = z.object({
  fileName: z.string(),
  /** The detected row format, e.g. trl-standard, trl-conversational, anthropic-hh, ultrafeedback, prompts. */
  format: z.string(),
  kind: ImportAs,
  rows: z.number().int().nonnegative(),
  pairsAdded: z.number().int().nonnegative(),
  promptsAdded: z.number().int().nonnegative(),
  duplicatesSkipped: z.number().int().nonnegative(),
  /** Pair rows whose chosen and rejected are the same text: dropped, not stored (0 for prompts). */
  identicalSkipped: z.number().int().nonnegative(),
  /** The dataset made of the file's pairs: every row that names a pair, new or already stored. */
  dataset: z
    .object({
      id: Id,
      name: z.string(),
      pairs: z.number().int().nonnegative().optional(),
      train: z.number().int().nonnegative().optional(),
      eval: z.number().int().nonnegative().optional(),
    })
    .nullable(),
});
export type FileImportResult = z.infer<typeof FileImportResult>;

export const DeviceRequest = z.enum(['auto', 'cpu', 'cuda']);
export type DeviceRequest = z.infer<typeof DeviceRequest>;

/** Where the engine runs and, when that is not what was asked for, why. */
export const DeviceInfo = z.object({
  requested: DeviceRequest,
  device: z.enum(['cpu', 'cuda']),
  reason: z.string().nullable(),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

export const AppInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  schemaVersion: z.number().int(),
  transport: z.enum(['ipc', 'http']),
});
export type AppInfo = z.infer<typeof AppInfo>;
