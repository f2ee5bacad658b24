// "Next round" from a tuned version (on-policy / iterative DPO, docs/training.md "Rounds"): the round it
// makes, its lineage, and the training prompts of the dataset its run learned from, to sample the version
// on again. The held-out (eval) prompts are never offered: they are how the rounds are measured.
import type Database from 'better-sqlite3';
import { ROUND_PROMPTS_MAX, type RoundPlan } from '../../../src-shared/api-train';
import { ApiError } from '../../../src-shared/errors';
import type { ModelsRepo } from '../../store/models-repo';

export function createRoundPlans(db: Database.Database, models: Pick<ModelsRepo, 'get' | 'lineage'>) {
  const runOf = db.prepare<[number], { runId: number; datasetId: number | null; datasetName: string | null }>(
    `SELECT r.id AS runId, r.dataset_id AS datasetId, d.name AS datasetName
       FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id
      WHERE r.output_model_id = ? ORDER BY r.id DESC LIMIT 1`,
  );
  const promptsOf = db.prepare<[number, string], { promptId: number; text: string }>(
    `SELECT DISTINCT pr.id AS promptId, pr.text
       FROM dataset_pairs dp JOIN pairs p ON p.id = dp.pair_id JOIN prompts pr ON pr.id = p.prompt_id
      WHERE dp.dataset_id = ? AND dp.split = ? ORDER BY pr.id`,
  );

  function plan(modelId: number): RoundPlan {
    const model = models.get(modelId);
    if (!model || model.removedAt !== null)
      throw new ApiError('not_found', `modelId: no model with id ${modelId}`);
    if (model.kind !== 'trained')
      throw new ApiError(
        'invalid_input',
        `modelId: "${model.name}" is not a tuned version; a next round starts from one (train the first round in the Train view)`,
      );
    const lineage = models.lineage(modelId);
    const run = runOf.get(modelId);
    const datasetId = run?.datasetId ?? null;
    const train = datasetId === null ? [] : promptsOf.all(datasetId, 'train');
    const heldOut = datasetId === null ? [] : promptsOf.all(datasetId, 'eval');
    // A prompt sits on one side of a dataset's split (split by prompt); kept apart here all the same.
    const held = new Set(heldOut.map((p) => p.promptId));
    const prompts = train.filter((p) => !held.has(p.promptId));
    return {
      modelId,
      modelName: model.name,
      round: lineage.length,
      lineage,
      runId: run?.runId ?? null,
      datasetId,
      datasetName: run?.datasetName ?? null,
      prompts: prompts.slice(0, ROUND_PROMPTS_MAX),
      promptsLeftOut: Math.max(0, prompts.length - ROUND_PROMPTS_MAX),
      heldOutPromptIds: heldOut.map((p) => p.promptId),
    };
  }

  return { plan };
}
