// The one API contract: every method's input and output schema and every event's payload. Both transports
// (Electron IPC, HTTP + server-sent events) and the renderer's clients are typed from this table.
import { z } from 'zod';
import { bundleContract } from './api-bundle';
import { compareContract, compareEvents } from './api-compare';
import { jobsContract, jobsEvents } from './api-jobs';
import { labelingContract, labelingEvents } from './api-labeling';
import { modelsContract, modelsEvents } from './api-models';
import { generateContract, generateEvents } from './api-generate';
import { trainContract, trainEvents } from './api-train';
import type { ApiEvent, ApiMethod } from './api-methods';
import {
  Annotator,
  AnnotatorName,
  AppInfo,
  DeviceInfo,
  DeviceRequest,
  Id,
  ImportResult,
  PairToRate,
  RatingProgress,
  RatingSummary,
  ScreenChoice,
  Strength,
} from './schemas';

const annotatorInput = z.object({ annotatorId: Id });

/**
 * The largest request body a transport accepts, in bytes: the largest file a method takes (64 MiB, sent as
 * base64 for binary files, 4/3 of that) with room for JSON escaping. Bigger bodies are refused unread.
 */
export const MAX_REQUEST_BYTES = 128 * 1024 * 1024;

export const apiContract = {
  getAppInfo: { input: z.object({}), output: AppInfo },
  getDevice: { input: z.object({ request: DeviceRequest.default('auto') }), output: DeviceInfo },
  listAnnotators: { input: z.object({}), output: z.array(Annotator) },
  createAnnotator: { input: z.object({ name: AnnotatorName }), output: Annotator },
  importPairs: {
    input: z.object({
      fileName: z.string().min(1).max(255),
      // 64 MiB of text: large enough for real preference files, small enough to hold in memory.
      content: z.string().max(64 * 1024 * 1024, 'file is larger than 64 MiB'),
    }),
    output: ImportResult,
  },
  nextPair: {
    // qualityChecks: now and then (1 in 10 ratings) serve an already rated pair again, sides swapped.
    input: z.object({ annotatorId: Id, qualityChecks: z.boolean().default(false) }),
    output: PairToRate.nullable(),
  },
  submitRating: {
    input: z.object({
      annotatorId: Id,
      pairId: Id,
      leftCandidateId: Id,
      choice: ScreenChoice,
      strength: Strength.nullable().default(null),
      note: z.string().max(10_000).nullable().default(null),
      // Names of configured reason tags (getRatingTags).
      tags: z.array(z.string()).max(20).default([]),
      // The pair was served as a quality check (PairToRate.qualityCheck): stored apart from the live rating.
      qualityCheck: z.boolean().default(false),
      timeSpentMs: z.number().int().nonnegative().max(86_400_000),
    }),
    output: z.object({ comparisonId: Id, progress: RatingProgress }),
  },
  undoRating: {
    input: annotatorInput,
    // The undone pair comes back with the sides it was rated with, to be rated again.
    output: z.object({ undonePairId: Id.nullable(), pair: PairToRate.nullable(), progress: RatingProgress }),
  },
  getRatingProgress: { input: annotatorInput, output: RatingProgress },
  listRatings: {
    input: z.object({ annotatorId: Id, limit: z.number().int().min(1).max(500).default(50) }),
    output: z.array(RatingSummary),
  },
  ...labelingContract,
  ...compareContract,
  ...jobsContract,
  ...modelsContract,
  ...generateContract,
  ...trainContract,
  ...bundleContract,
} satisfies Record<ApiMethod, { input: z.ZodType; output: z.ZodType }>;

export const eventContract = {
  ratingsChanged: z.object({ annotatorId: Id, pairId: Id, kind: z.enum(['rated', 'undone']) }),
  pairsImported: ImportResult,
  ...labelingEvents,
  ...compareEvents,
  ...jobsEvents,
  ...modelsEvents,
  ...generateEvents,
  ...trainEvents,
} satisfies Record<ApiEvent, z.ZodType>;

export type ApiInput<M extends ApiMethod> = z.input<(typeof apiContract)[M]['input']>;
export type ApiParsedInput<M extends ApiMethod> = z.output<(typeof apiContract)[M]['input']>;
export type ApiOutput<M extends ApiMethod> = z.output<(typeof apiContract)[M]['output']>;
export type ApiEventPayload<E extends ApiEvent> = z.output<(typeof eventContract)[E]>;

/** What a client (renderer) sees: one async function per method. */
export type ApiClient = { [M in ApiMethod]: (input: ApiInput<M>) => Promise<ApiOutput<M>> };

/** What the services implement: inputs already validated and defaulted. */
export type ApiHandlers = {
  [M in ApiMethod]: (input: ApiParsedInput<M>) => Promise<ApiOutput<M>> | ApiOutput<M>;
};

export type EventListener = <E extends ApiEvent>(event: E, payload: ApiEventPayload<E>) => void;

/** Renders zod issues as one line that names each field: `choice: Invalid option ...; pairId: ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('; ');
}
