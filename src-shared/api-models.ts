// The models part of the API contract (spread into apiContract in api.ts): model versions with their
// lineage (base checkpoint -> tuned adapters), importing a checkpoint folder, removing a version.
import { z } from 'zod';
import { Id } from './schemas';

export const ModelKind = z.enum(['embedded', 'imported', 'trained']);
export type ModelKind = z.infer<typeof ModelKind>;

/** generation_config.json's sampling values; null where the checkpoint does not set one. */
export const GenerationDefaults = z.object({
  temperature: z.number().nullable(),
  topP: z.number().nullable(),
  topK: z.number().int().nullable(),
  maxNewTokens: z.number().int().nullable(),
});
export type GenerationDefaults = z.infer<typeof GenerationDefaults>;

export const ModelVersion = z.object({
  id: Id,
  name: z.string(),
  kind: ModelKind,
  /** The base checkpoint folder (for a trained version, its root ancestor's). */
  path: z.string(),
  /** A trained version's PEFT adapter folder. */
  adapterPath: z.string().nullable(),
  parentId: Id.nullable(),
  architecture: z.string().nullable(),
  /** As stored on disk: float32, float16, bfloat16. */
  dtype: z.string().nullable(),
  parameterCount: z.number().int().nonnegative().nullable(),
  /** Bytes of this version's own files (a trained version: its adapter); null when they are gone. */
  sizeBytes: z.number().int().nonnegative().nullable(),
  /** Where sampling and training would run now, and why when it is not the GPU. */
  device: z.enum(['cpu', 'cuda']),
  deviceNote: z.string().nullable(),
  generationDefaults: GenerationDefaults,
  /**
   * The chat template has Qwen3's thinking switch (enable_thinking), which the workbench renders off when it
   * samples candidates (and when it trains on them, so the prompts match).
   */
  thinkingOff: z.boolean(),
  createdAt: z.string(),
  removedAt: z.string().nullable(),
});
export type ModelVersion = z.infer<typeof ModelVersion>;

export const modelsContract = {
  /** In creation order, so a parent comes before its tuned versions. */
  listModels: {
    input: z.object({ includeRemoved: z.boolean().default(false) }),
    output: z.array(ModelVersion),
  },
  /**
   * Registers a Hugging Face checkpoint folder on this machine after checking that it loads; a PEFT adapter
   * folder (adapter_config.json) becomes a tuned version of the model its base_model_name_or_path names.
   */
  importModel: {
    input: z.object({
      path: z.string().trim().min(1, 'must name a folder').max(4096),
      name: z.string().trim().max(200).optional(),
    }),
    output: ModelVersion,
  },
  /** Hides a version (and, when asked, its tuned versions); its files stay unless deleteFiles is set. */
  removeModel: {
    input: z.object({
      modelId: Id,
      withChildren: z.boolean().default(false),
      deleteFiles: z.boolean().default(false),
    }),
    output: z.object({ removed: z.array(Id), deletedFolders: z.array(z.string()) }),
  },
};

export const modelsEvents = {
  modelsChanged: z.object({ modelIds: z.array(Id), kind: z.enum(['added', 'removed']) }),
};
