// The training part of the API contract (spread into apiContract in api.ts): one-click defaults, starting,
// listing, inspecting, cancelling and resuming DPO runs, and the live metrics event.
import { z } from 'zod';
import { Id } from './schemas';
import { Run, RunDetail, RunMetricsEvent, TrainDefaults, TrainSettings } from './train-schemas';

const runInput = z.object({ runId: Id });

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
};

export const trainEvents = {
  runMetrics: RunMetricsEvent,
  /** A run was created, changed status or finished. */
  runsChanged: z.object({ runId: Id, status: z.string() }),
};
