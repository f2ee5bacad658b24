// The cluster-bundle part of the API contract (spread into apiContract in api.ts): a dataset and training
// settings written as a TRL job folder on the machine that runs the workbench.
import { z } from 'zod';
import { Id } from './schemas';
import { TrainSettings } from './train-schemas';

export const ClusterBundleResult = z.object({
  outDir: z.string(),
  /** Every file written, absolute. */
  files: z.array(z.string()),
  trainRows: z.number().int().nonnegative(),
  evalRows: z.number().int().nonnegative(),
  /** model_name_or_path as written: a hub name, a folder, or a placeholder to fill in. */
  model: z.string(),
});
export type ClusterBundleResult = z.infer<typeof ClusterBundleResult>;

export const bundleContract = {
  exportClusterBundle: {
    input: z.object({
      datasetId: Id,
      /** Settings not given take the training defaults, as a run in the Train view would. */
      settings: TrainSettings.partial().default({}),
      /** A new or empty folder on the workbench's machine. */
      outDir: z.string().trim().min(1, 'outDir: give a folder for the bundle'),
      /** The base model; null writes a placeholder for model_name_or_path. */
      baseModelId: Id.nullable().default(null),
      gpus: z.number().int().min(1).max(1024).default(1),
      format: z.enum(['trl', 'trl-conversational']).default('trl-conversational'),
    }),
    output: ClusterBundleResult,
  },
};
