// A run's folder, <data dir>/runs/<id>: the dataset's pairs as the trainer reads them (train.jsonl and
// eval.jsonl, TRL preference rows plus a weight field), and loading them back with the model to train.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  loadCheckpoint,
  ModelTokenizer,
  readModelConfig,
  type Checkpoint,
  type ModelConfig,
} from '../../models/index';
import type { StoredDatasetRow } from '../../store/datasets-repo';
import {
  loraModules,
  loraStateFrom,
  readKtoRows,
  readPeftAdapter,
  readPairs,
  withKlCompletions,
  type PairExample,
  type TrainArgs,
  type TrainDpoInput,
} from '../../train/index';
import { trlConversationalRow, trlStandardRow } from '../export/export-rows';
import { safetensorsReader } from './train-job';

export const TRAIN_FILE = 'train.jsonl';
export const EVAL_FILE = 'eval.jsonl';

export function runDirOf(dataDir: string, runId: number): string {
  return join(dataDir, 'runs', String(runId));
}

/** The checkpoint's tokenizer (its vocabulary checked against config.json). */
export function loadTokenizer(
  modelDir: string,
  config: ModelConfig = readModelConfig(modelDir),
): ModelTokenizer {
  return ModelTokenizer.load(modelDir, { vocabSize: config.vocabSize, eosTokenIds: config.eosTokenIds });
}

/**
 * The dataset's rows as TRL preference rows: conversational (the prompt's turns and one assistant turn,
 * rendered with the model's chat template, as generation prompts the model) when the model has a chat
 * template, plain text otherwise; each with the pair's weight.
 */
export function trainerRows(rows: readonly StoredDatasetRow[], conversational: boolean): object[] {
  return rows.map((row) => ({
    ...(conversational ? trlConversationalRow(row) : trlStandardRow(row)),
    weight: row.weight,
  }));
}

export async function writeRunPairs(
  runDir: string,
  rows: readonly StoredDatasetRow[],
  conversational: boolean,
  /** Rows of other kinds the run also learns from (KTO: both-bad answers as undesirable examples). */
  extra: { train: readonly object[]; eval: readonly object[] } = { train: [], eval: [] },
): Promise<{ train: number; eval: number }> {
  await mkdir(runDir, { recursive: true });
  const lines = (split: 'train' | 'eval') =>
    [
      ...trainerRows(
        rows.filter((row) => row.split === split),
        conversational,
      ),
      ...extra[split],
    ].map((row) => `${JSON.stringify(row)}\n`);
  const train = lines('train');
  const evalRows = lines('eval');
  await writeFile(join(runDir, TRAIN_FILE), train.join(''));
  await writeFile(join(runDir, EVAL_FILE), evalRows.join(''));
  return { train: train.length, eval: evalRows.length };
}

export interface RunInput {
  model: Checkpoint;
  examples: PairExample[];
  split: { train: number[]; eval: number[] };
  padTokenId: number;
  /** Training from a trained version: its adapter is where training starts (and the 'init' reference). */
  initAdapter?: TrainDpoInput['initAdapter'];
}

/**
 * Loads the base checkpoint, the run's pairs (tokenized with its tokenizer) and, for a trained base
 * version, its adapter: training continues that adapter (so the result is again one adapter on the base
 * checkpoint); the run's `reference` setting picks that adapter (the version itself) or the base checkpoint
 * as the reference.
 */
export async function loadRunInput(
  modelDir: string,
  adapterDir: string | undefined,
  runDir: string,
  args: Pick<TrainArgs, 'method' | 'batchSize'> = { method: 'dpo', batchSize: 8 },
): Promise<RunInput> {
  const model = loadCheckpoint(modelDir);
  const { config } = model;
  const tokenizer = loadTokenizer(modelDir, config);
  // KTO: each pair gives a desirable and an undesirable example, each split its own KL completions.
  const read =
    args.method === 'kto'
      ? async (path: string) => withKlCompletions(await readKtoRows(path, tokenizer), args.batchSize)
      : (path: string) => readPairs(path, tokenizer);
  const train = await read(join(runDir, TRAIN_FILE));
  const evalPath = join(runDir, EVAL_FILE);
  const evalRows = existsSync(evalPath) ? await read(evalPath).catch(noRows) : [];
  const examples = [...train, ...evalRows];
  const split = {
    train: train.map((_, i) => i),
    eval: evalRows.map((_, i) => train.length + i),
  };
  const padTokenId = tokenizer.padTokenId ?? config.padTokenId ?? 0;
  if (!adapterDir) return { model, examples, split, padTokenId };
  const adapter = await readPeftAdapter(adapterDir, safetensorsReader);
  const modules = loraModules(config, adapter.targetModules);
  return {
    model,
    examples,
    split,
    padTokenId,
    initAdapter: {
      r: adapter.r,
      alpha: adapter.alpha,
      targetModules: adapter.targetModules,
      state: loraStateFrom(adapter, modules, adapterDir),
    },
  };
}

/** An empty eval file is no eval split (readPairs refuses a file without rows). */
function noRows(error: unknown): PairExample[] {
  if (error instanceof Error && / no rows$/.test(error.message)) return [];
  throw error;
}
