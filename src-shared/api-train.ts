// The training part of the API contract (spread into apiContract in api.ts): one-click defaults, starting,
// listing, inspecting, cancelling and resuming DPO runs, and the live metrics event.
import { z } from 'zod';
import { Id } from './schemas';
import { Run, RunDetail, RunMetricsEvent, TrainDefaults, TrainSettings } from './train-schemas';

const runInput = z.object({ runId: Id });

/** Most prompts a next round samples from its dataset (as many as one generation job takes). */
export const ROUND_PROMPTS_MAX = 1000;

/**
 * What "Next round" from a tuned version starts from: the round it makes (the version's depth in its
 * lineage + 1), the lineage, the dataset of the run that trained it and that dataset's training prompts
 * (held-out prompts never come back for sampling: they measure the rounds).
 */
export const RoundPlan = z.object({
  modelId: Id,
  modelName: z.string(),
  round: z.number().int().min(2),
  lineage: z.array(z.object({ id: Id, name: z.string() })),
  runId: Id.nullable(),
  datasetId: Id.nullable(),
  datasetName: z.string().nullable(),
  prompts: z.array(z.object({ promptId: Id, text: z.string() })).max(ROUND_PROMPTS_MAX),
  /** Training prompts of the dataset past ROUND_PROMPTS_MAX, left out. */
  promptsLeftOut: z.number().int().nonnegative(),
  /** The dataset's held-out prompts, never sampled for a round (nor typed in as a new prompt). */
  heldOutPromptIds: z.array(Id),
});
export type RoundPlan = z.infer<typeof RoundPlan>;

export const trainContract = {
  /** Settings sized from the dataset (token lengths, pair count) and the device, with the reasons. */
  getTrainDefaults: { input: z.object({ datasetId: Id, baseModelId: Id }), output: TrainDefaults },
  /** Starts a run as a job; any setting left out takes the one-click default. */
  startTraining: {
    input: z.object({ datasetId: Id, baseModelId: Id, settings: TrainSettings.partial().default({}) }),
    output: z.object({ runId: Id, jobId: Id }),
  },
  /** Newest first. */
  listRuns: {
    input: z.object({ limit: z.number().int().min(1).max(500).default(100) }),
    output: z.array(Run),
  },
  getRun: { input: runInput, output: RunDetail },
  /** Stops a running run after its current step; the checkpoint is kept and Resume continues it. */
  cancelRun: { input: runInput, output: z.object({ cancelled: z.boolean() }) },
  /** Continues an interrupted or cancelled run from its last checkpoint, to the same result. */
  resumeRun: { input: runInput, output: z.object({ runId: Id, jobId: Id }) },
  /** "Next round" from a tuned version: its lineage, round number and the prompts to sample again. */
  getRoundPlan: { input: z.object({ modelId: Id }), output: RoundPlan },
};

export const trainEvents = {
  runMetrics: RunMetricsEvent,
  /** A run was created, changed status or finished. */
  runsChanged: z.object({ runId: Id, status: z.string() }),
};
