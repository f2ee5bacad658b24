// The jobs part of the API contract (spread into apiContract in api.ts): long work (generation, training,
// comparison runs) runs as a job with stored status and progress, listed and cancelled from any view.
import { z } from 'zod';
import { Id } from './schemas';

export const JobStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted']);
export type JobStatus = z.infer<typeof JobStatus>;

export const Job = z.object({
  id: Id,
  /** What the job does: 'generate', 'train', 'compare', ... */
  kind: z.string(),
  status: JobStatus,
  progress: z.number().nonnegative(),
  /** The unit count progress goes up to; null while unknown. */
  total: z.number().nonnegative().nullable(),
  message: z.string().nullable(),
  payload: z.unknown(),
  result: z.unknown(),
  error: z.string().nullable(),
  runId: Id.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Job = z.infer<typeof Job>;

export const jobsContract = {
  /** Newest first. */
  listJobs: {
    input: z.object({
      kind: z.string().min(1).max(64).optional(),
      limit: z.number().int().min(1).max(500).default(50),
    }),
    output: z.array(Job),
  },
  /** Asks a running job to stop; cancelled is false when it had already finished. */
  cancelJob: { input: z.object({ jobId: Id }), output: z.object({ cancelled: z.boolean() }) },
};

export const jobsEvents = {
  /** A job started, reported progress or finished: its row as now stored. */
  jobsChanged: Job,
};
