// The implicit-reward margin of each pair of a run's dataset (DPO paper, eq. 5: r(x, y) = beta * log
// pi(y|x) / ref(y|x)): margin = r(chosen) - r(rejected), before the run (its parent version; 0 when the
// parent is the reference itself) and after it (the tuned version). Scored with logprobs-job's scoring.
import type Database from 'better-sqlite3';
import type { RewardMargins } from '../../../src-shared/compare-schemas';
import { ApiError } from '../../../src-shared/errors';
import { loadCheckpoint, ModelTokenizer } from '../../models/index';
import type { DeviceRequest } from '../../runtime/index';
import { CompareRepo, type StoredMargin } from '../../store/compare-repo';
import { DatasetsRepo, type StoredDatasetRow } from '../../store/datasets-repo';
import type { ModelsRepo } from '../../store/models-repo';
import { tokenizeRow, type PairLogps } from '../../train/index';
import { trlConversationalRow, trlStandardRow } from '../export/export-rows';
import { scoreExamples } from '../train/logprobs-job';

interface RunRow {
  id: number;
  status: string;
  datasetId: number | null;
  baseModelId: number;
  outputModelId: number | null;
  configJson: string;
}

/** beta of a run: config_json holds the resolved training arguments (TrainArgs.beta), flat or under `args`. */
export function betaOf(configJson: string, runId: number): number {
  const config = JSON.parse(configJson) as { beta?: unknown; args?: { beta?: unknown } };
  const beta = config.beta ?? config.args?.beta;
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta <= 0)
    throw new ApiError('invalid_input', `runId: run ${runId} has no beta > 0 in its config`);
  return beta;
}

/** The trainer's sequence cap for a run: its maxLength, else min(1024, the model's positions) (trainer.ts). */
export function maxLengthOf(configJson: string, maxPositions: number): number {
  const config = JSON.parse(configJson) as { maxLength?: unknown };
  return typeof config.maxLength === 'number' && config.maxLength > 0
    ? config.maxLength
    : Math.min(1024, maxPositions);
}

/** beta * ((policy - ref)(chosen) - (policy - ref)(rejected)); a null policy is the reference itself. */
export function implicitMargin(beta: number, policy: PairLogps | null, ref: PairLogps): number {
  if (!policy) return 0;
  return beta * (policy.chosenLogp - ref.chosenLogp - (policy.rejectedLogp - ref.rejectedLogp));
}

export function createRewardMargins(
  db: Database.Database,
  models: Pick<ModelsRepo, 'get' | 'resolve'>,
  options: { device?: DeviceRequest } = {},
) {
  const repo = new CompareRepo(db);
  const datasets = new DatasetsRepo(db);

  function requireRun(runId: number): RunRow & { datasetId: number; outputModelId: number } {
    const run = db
      .prepare<[number], RunRow>(
        `SELECT id, status, dataset_id AS datasetId, base_model_id AS baseModelId,
                output_model_id AS outputModelId, config_json AS configJson FROM runs WHERE id = ?`,
      )
      .get(runId);
    if (!run) throw new ApiError('not_found', `runId: no run with id ${runId}`);
    if (run.outputModelId === null)
      throw new ApiError('conflict', `runId: run ${runId} has no tuned model yet (it is ${run.status})`);
    if (run.datasetId === null)
      throw new ApiError('invalid_input', `runId: run ${runId} was trained from a file, not a dataset`);
    return { ...run, datasetId: run.datasetId, outputModelId: run.outputModelId };
  }

  function requireModel(id: number) {
    const model = models.get(id);
    if (!model) throw new ApiError('not_found', `no model with id ${id}`);
    return model;
  }

  /** Scores every row under the reference, the parent (when it has an adapter) and the tuned version. */
  async function compute(run: RunRow, rows: readonly StoredDatasetRow[], beta: number, parentId: number) {
    const tuned = models.resolve(run.outputModelId as number);
    const parent = models.resolve(parentId);
    if (parent.modelDir !== tuned.modelDir)
      throw new ApiError('conflict', `runId: the tuned model and its parent have different base checkpoints`);
    const checkpoint = loadCheckpoint(tuned.modelDir);
    const { config } = checkpoint;
    const tokenizer = ModelTokenizer.load(tuned.modelDir, {
      vocabSize: config.vocabSize,
      eosTokenIds: config.eosTokenIds,
    });
    // As the trainer reads a dataset: conversational rows when the model has a chat template.
    const examples = rows.map((row, i) =>
      tokenizeRow(
        tokenizer.hasChatTemplate ? trlConversationalRow(row) : trlStandardRow(row),
        tokenizer,
        `run ${run.id} dataset row ${i + 1} (pair ${row.pairId})`,
      ),
    );
    const score = async (adapterDir: string | undefined) =>
      (
        await scoreExamples(checkpoint, examples, {
          padTokenId: tokenizer.padTokenId ?? config.padTokenId ?? 0,
          // Scored as the trainer saw them: the same truncation, so "after" matches its rewards/margins.
          maxLength: maxLengthOf(run.configJson, config.maxPositions),
          ...(adapterDir ? { adapterDir } : {}),
          ...(options.device ? { device: options.device } : {}),
        })
      ).rows;
    const ref = await score(undefined);
    const after = await score(tuned.adapterDir);
    const before = parent.adapterDir ? await score(parent.adapterDir) : null;
    return rows.map((row, i): StoredMargin => ({
      pairId: row.pairId,
      split: row.split,
      marginBefore: implicitMargin(beta, before?.[i] ?? null, ref[i] as PairLogps),
      marginAfter: implicitMargin(beta, after[i] as PairLogps, ref[i] as PairLogps),
    }));
  }

  /** The margins of a run's pairs, computed on first use and kept (the run's dataset is frozen). */
  async function get(runId: number): Promise<RewardMargins> {
    const run = requireRun(runId);
    const beta = betaOf(run.configJson, runId);
    const tunedModel = requireModel(run.outputModelId);
    const parentId = tunedModel.parentId ?? run.baseModelId;
    const parentModel = requireModel(parentId);
    const rows = datasets.rows(run.datasetId, null);
    let stored = repo.margins(runId);
    if (stored.length !== rows.length) {
      stored = await compute(run, rows, beta, parentId);
      repo.saveMargins(runId, stored);
    }
    const byPair = new Map(stored.map((m) => [m.pairId, m]));
    const out = rows.flatMap((row) => {
      const margin = byPair.get(row.pairId);
      if (!margin) return [];
      return [
        {
          pairId: row.pairId,
          split: row.split,
          prompt: row.prompt,
          chosen: row.chosen,
          rejected: row.rejected,
          before: margin.marginBefore,
          after: margin.marginAfter,
        },
      ];
    });
    return {
      runId,
      beta,
      tuned: { id: tunedModel.id, name: tunedModel.name },
      parent: { id: parentModel.id, name: parentModel.name },
      rows: out,
      stillWrong: out.filter((r) => r.after <= 0).length,
    };
  }

  return { get };
}

export type RewardMarginsService = ReturnType<typeof createRewardMargins>;
