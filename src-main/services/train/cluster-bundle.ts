// A folder that runs the same DPO fine-tune on a GPU cluster with TRL: the dataset as TRL preference JSONL
// (train and test splits), a `trl dpo --config` YAML mapped from our settings, accelerate configs for
// multi-GPU (plain DDP and DeepSpeed ZeRO-2) and a README on running it and bringing the adapter back.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { ApiHandlers, ApiParsedInput } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { DatasetsRepo, type StoredDatasetRow } from '../../store/datasets-repo';
import { ModelsRepo } from '../../store/models-repo';
import { openDatabase } from '../../store/open-database';
import { resolveTrainArgs, type TrainArgs } from '../../train/index';
import { defaultTargetModules } from '../../train/lora';
import { trlConversationalRow, trlStandardRow } from '../export/export-rows';
import { stringifyYaml11, type YamlMap } from './yaml11';
import { OutputPathError, prepareOutputFolder } from '../output-folder';

export interface BundleModel {
  /** What TRL loads: a Hugging Face hub name (config.json `_name_or_path`), a folder, or a placeholder. */
  nameOrPath: string;
  /** 'local': this machine's folder, which the cluster must replace with its copy; 'placeholder': unknown. */
  source: 'hub' | 'local' | 'placeholder';
  /** config.json `model_type` (picks the default LoRA targets); null when the model is not known. */
  modelType: string | null;
  /** Positions the model supports (caps the default max_length as our trainer does). */
  maxPositions: number | null;
}

/** When no base model is named: TRL's `model_name_or_path` is left for the user to fill in. */
export const PLACEHOLDER_MODEL: BundleModel = {
  nameOrPath: 'REPLACE-WITH/base-model',
  source: 'placeholder',
  modelType: null,
  maxPositions: null,
};

export interface ClusterBundleRequest {
  datasetName: string;
  rows: readonly StoredDatasetRow[];
  settings: Partial<TrainArgs>;
  model: BundleModel;
  /** GPUs the job runs on; the effective batch (pairs per optimizer step) is kept across them. */
  gpus: number;
  /** Conversational rows let TRL apply the model's chat template, as our trainer does for messages. */
  format: 'trl' | 'trl-conversational';
  /** The adapter of a trained version named as the model: not carried (the job starts a fresh adapter). */
  startingAdapter?: string | undefined;
}

/** Relative path -> file text. */
export type BundleFiles = Map<string, string>;

/** The base model as the bundle names it: the hub name from config.json when there is one. */
export function bundleModelFromDir(modelDir: string): BundleModel {
  const configPath = path.join(modelDir, 'config.json');
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${configPath}: cannot read the model's config (${(error as Error).message})`, {
      cause: error,
    });
  }
  const named = typeof config._name_or_path === 'string' ? config._name_or_path : '';
  // A hub id is "owner/name"; a path written by save_pretrained on someone's disk is not.
  const hubName = /^[\w.-]+\/[\w.-]+$/.test(named) && !named.startsWith('.') ? named : null;
  const modelType = typeof config.model_type === 'string' ? config.model_type : 'llama';
  const positions = config.max_position_embeddings ?? config.n_positions;
  return {
    nameOrPath: hubName ?? path.resolve(modelDir),
    source: hubName === null ? 'local' : 'hub',
    modelType,
    maxPositions: typeof positions === 'number' ? positions : null,
  };
}

/**
 * Per-device batch and accumulation so that per_device * accumulation * gpus equals our pairs per
 * optimizer step, keeping our micro-batch where the GPUs divide the accumulation.
 */
export function splitBatch(
  batchSize: number,
  gradAccum: number,
  gpus: number,
): { perDevice: number; accumulation: number } {
  if (!Number.isInteger(gpus) || gpus < 1) throw new Error(`gpus must be a positive integer; got ${gpus}`);
  if (gradAccum % gpus === 0) return { perDevice: batchSize / gradAccum, accumulation: gradAccum / gpus };
  if (batchSize % (gpus * gradAccum) === 0)
    return { perDevice: batchSize / (gpus * gradAccum), accumulation: gradAccum };
  if (batchSize % gpus === 0) return { perDevice: batchSize / gpus, accumulation: 1 };
  throw new Error(
    `batch size ${batchSize} (pairs per optimizer step) cannot be split evenly over ${gpus} GPUs; choose a batch size that is a multiple of ${gpus}`,
  );
}

const TRL_OPTIMIZER: Record<TrainArgs['optimizer'], string> = { adamw: 'adamw_torch', sgd: 'sgd' };

/** The `trl dpo --config` options (DPOConfig, ScriptArguments, ModelConfig names, TRL >= 0.29). */
export function trlDpoOptions(args: TrainArgs, model: BundleModel, gpus: number, hasEval: boolean): YamlMap {
  const extra = args as TrainArgs & { sftWeight?: number };
  const sftWeight = extra.sftWeight ?? 0;
  const { perDevice, accumulation } = splitBatch(args.batchSize, args.gradAccum, gpus);
  return {
    // ModelConfig
    model_name_or_path: model.nameOrPath,
    use_peft: true,
    lora_r: args.loraR,
    lora_alpha: args.loraAlpha,
    lora_dropout: 0,
    // PEFT's "all-linear" (every linear layer but the output head) is our default on any Llama-family model.
    lora_target_modules:
      args.loraTargets ?? (model.modelType ? defaultTargetModules(model.modelType) : 'all-linear'),
    lora_task_type: 'CAUSAL_LM',
    // ScriptArguments: a local folder whose train/test files the datasets library picks up by name
    dataset_name: './data',
    dataset_train_split: 'train',
    ...(hasEval ? { dataset_test_split: 'test' } : {}),
    // DPOConfig
    output_dir: './output',
    // TRL >= 0.29 takes a list of losses with weights; our SFT term is TRL's `sft` loss.
    loss_type: sftWeight > 0 ? [args.loss, 'sft'] : [args.loss],
    ...(sftWeight > 0 ? { loss_weights: [1, sftWeight] } : {}),
    beta: args.beta,
    label_smoothing: args.labelSmoothing,
    max_length: args.maxLength ?? Math.min(1024, model.maxPositions ?? 1024),
    // Both sides keep the first max_length tokens of prompt + completion (TRL's default; keep_end is deprecated).
    truncation_mode: 'keep_start',
    // The job starts a fresh adapter, so TRL's reference is the base model without it (ours too: `reference`
    // init and base both mean the base without a starting adapter); its log-probs computed once, as here.
    precompute_ref_log_probs: true,
    learning_rate: args.lr,
    lr_scheduler_type: args.schedule,
    warmup_ratio: args.warmupRatio,
    optim: TRL_OPTIMIZER[args.optimizer],
    weight_decay: args.weightDecay,
    max_grad_norm: args.maxGradNorm,
    per_device_train_batch_size: perDevice,
    gradient_accumulation_steps: accumulation,
    ...(args.maxSteps !== undefined ? { max_steps: args.maxSteps } : { num_train_epochs: args.epochs }),
    seed: args.seed,
    logging_steps: 1,
    eval_strategy: hasEval ? 'steps' : 'no',
    ...(hasEval ? { eval_steps: args.evalEvery, per_device_eval_batch_size: perDevice } : {}),
    save_strategy: 'steps',
    save_steps: args.checkpointEvery,
    bf16: true,
    gradient_checkpointing: true,
    report_to: 'none',
  };
}

const accelerateBase = (gpus: number) => ({
  compute_environment: 'LOCAL_MACHINE',
  machine_rank: 0,
  num_machines: 1,
  num_processes: gpus,
  main_training_function: 'main',
  mixed_precision: 'bf16',
  rdzv_backend: 'static',
  same_network: true,
  use_cpu: false,
});

function accelerateDdp(gpus: number): YamlMap {
  return { ...accelerateBase(gpus), distributed_type: gpus > 1 ? 'MULTI_GPU' : 'NO', downcast_bf16: 'no' };
}

function accelerateZero2(gpus: number): YamlMap {
  return {
    ...accelerateBase(gpus),
    distributed_type: 'DEEPSPEED',
    deepspeed_config: { deepspeed_config_file: 'deepspeed-zero2.json', zero3_init_flag: false },
  };
}

/** ZeRO stage 2 (optimizer state and gradients sharded); "auto" values come from the TRL config. */
const DEEPSPEED_ZERO2 = {
  bf16: { enabled: 'auto' },
  zero_optimization: {
    stage: 2,
    overlap_comm: true,
    contiguous_gradients: true,
    reduce_bucket_size: 'auto',
    allgather_bucket_size: 5e8,
  },
  gradient_accumulation_steps: 'auto',
  gradient_clipping: 'auto',
  train_batch_size: 'auto',
  train_micro_batch_size_per_gpu: 'auto',
};

function jsonl(rows: readonly object[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

function readme(request: ClusterBundleRequest, train: number, test: number, notes: string[]): string {
  const { datasetName, model, gpus } = request;
  const lines = [
    `# DPO on a cluster: ${datasetName}`,
    '',
    `Exported by DPO Workbench: ${train} training and ${test} evaluation pairs, the same settings as the app's`,
    'run, for TRL (>= 0.29, with PEFT; DeepSpeed for the ZeRO-2 config).',
    '',
    '| File | What |',
    '| --- | --- |',
    '| `data/train.jsonl`, `data/test.jsonl` | TRL preference rows (prompt / chosen / rejected) |',
    '| `trl-dpo.yaml` | `trl dpo --config` options (DPOConfig, ScriptArguments, ModelConfig) |',
    `| \`accelerate-multi-gpu.yaml\` | accelerate, data parallel on ${gpus} GPU(s) |`,
    `| \`accelerate-zero2.yaml\`, \`deepspeed-zero2.json\` | accelerate with DeepSpeed ZeRO-2 on ${gpus} GPU(s) |`,
    '',
    '## Run',
    '',
    'From this folder, with `pip install trl peft accelerate deepspeed`:',
    '',
    '```sh',
    'trl dpo --config trl-dpo.yaml                                                # one GPU',
    'accelerate launch --config_file accelerate-multi-gpu.yaml -m trl.scripts.dpo --config trl-dpo.yaml',
    'accelerate launch --config_file accelerate-zero2.yaml -m trl.scripts.dpo --config trl-dpo.yaml',
    '```',
    '',
    `The batch is split so that per-device batch x accumulation x GPUs equals the app's pairs per step, for`,
    `${gpus} GPU(s); for another count, export again with that count (or change \`num_processes\` and`,
    '`gradient_accumulation_steps` together).',
    '',
    'Every string in the YAML files is double-quoted: TRL and accelerate read them as YAML 1.1, where a bare',
    '`no`, `on` or `1e3` would come back as a boolean or a number. Keep the quotes when you edit them.',
    '',
    '## What both sides do the same way',
    '',
    '- Reference model: the base model without the adapter. The job trains a fresh adapter, and for that TRL',
    '  (with PEFT) and the workbench both score the reference with the adapter off; its log-probs are computed',
    '  once (`precompute_ref_log_probs`). (Continuing an adapter, TRL >= 1.13 with PEFT >= 0.20 would use that',
    "  adapter, frozen, as the reference: the workbench's `--reference init`.)",
    '- Truncation: a sequence longer than `max_length` keeps its first `max_length` tokens, prompt first',
    "  (`truncation_mode: keep_start`, TRL's default; `keep_end` is deprecated in TRL).",
    '',
    '## Bring the adapter back',
    '',
    'The run writes a PEFT adapter (`adapter_config.json`, `adapter_model.safetensors`) to `output/`.',
    'Copy that folder back and import it in the Models view (Import, then the adapter folder) or with',
    '`dpo-workbench import-adapter --data-dir DIR ADAPTER_DIR`: it is registered as a version of the',
    'imported model whose name or folder matches `base_model_name_or_path` in `adapter_config.json`,',
    'and can then be compared with the base model in the Compare view.',
  ];
  if (model.source === 'local')
    lines.push(
      '',
      `Note: \`model_name_or_path\` is this machine's folder (${model.nameOrPath}); point it at the cluster's copy.`,
    );
  if (model.source === 'placeholder')
    lines.push(
      '',
      'Note: set `model_name_or_path` in `trl-dpo.yaml` to the base model (a hub name or a folder).',
    );
  if (notes.length > 0) lines.push('', '## Not carried over', '', ...notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

/** Every file of the bundle, by relative path. */
export function buildClusterBundle(request: ClusterBundleRequest): BundleFiles {
  const args = resolveTrainArgs(request.settings);
  if (args.method !== 'dpo')
    throw new Error(
      `the cluster bundle writes a TRL DPO job; method ${args.method} is not exported yet (train it here, or choose dpo)`,
    );
  const toRow: (row: StoredDatasetRow) => object =
    request.format === 'trl' ? trlStandardRow : trlConversationalRow;
  const train = request.rows.filter((r) => r.split === 'train');
  const test = request.rows.filter((r) => r.split === 'eval');
  if (train.length === 0) throw new Error(`dataset "${request.datasetName}" has no training pairs to export`);
  const options = trlDpoOptions(args, request.model, request.gpus, test.length > 0);
  const notes: string[] = [];
  if ((args as TrainArgs & { pairWeights?: boolean }).pairWeights)
    notes.push('per-pair weights (rating strength): TRL weighs every pair the same.');
  if (args.device !== 'auto') notes.push(`the device choice (${args.device}): accelerate places the job.`);
  if (request.startingAdapter)
    notes.push(
      `the trained version's adapter (${request.startingAdapter}): the job trains a fresh adapter on its base checkpoint, with the base model as reference.`,
    );
  // Every string value is quoted (yaml11.ts): TRL and accelerate read these files as YAML 1.1.
  const header =
    `# trl dpo --config trl-dpo.yaml -- exported by DPO Workbench from dataset ${JSON.stringify(request.datasetName)}.\n` +
    '# Option names: TRL >= 0.29 DPOConfig (with transformers TrainingArguments), ScriptArguments, ModelConfig.\n' +
    '# Reference model: the base model without the adapter (the job starts from a fresh adapter).\n';
  const files: BundleFiles = new Map([
    ['data/train.jsonl', jsonl(train.map(toRow))],
    ['trl-dpo.yaml', header + stringifyYaml11(options)],
    ['accelerate-multi-gpu.yaml', stringifyYaml11(accelerateDdp(request.gpus))],
    ['accelerate-zero2.yaml', stringifyYaml11(accelerateZero2(request.gpus))],
    ['deepspeed-zero2.json', `${JSON.stringify(DEEPSPEED_ZERO2, null, 2)}\n`],
    ['README.md', readme(request, train.length, test.length, notes)],
  ]);
  if (test.length > 0) files.set('data/test.jsonl', jsonl(test.map(toRow)));
  return files;
}

/** Writes the files off the event loop (libuv's pool), so a server answers other requests meanwhile. */
export async function writeBundle(outDir: string, files: BundleFiles): Promise<string[]> {
  const written: string[] = [];
  for (const [relative, text] of files) {
    const target = path.join(outDir, relative);
    // Only the bundle's own subfolders (data/) are made here: outDir was checked and created already.
    if (path.dirname(target) !== outDir) await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
    written.push(target);
  }
  return written;
}

export interface ExportClusterBundleInput {
  datasetId: number;
  settings: Partial<TrainArgs>;
  outDir: string;
  /** A registered model version (its base checkpoint is what TRL trains); else modelDir; else a placeholder. */
  baseModelId?: number | undefined;
  modelDir?: string | undefined;
  gpus?: number | undefined;
  format?: ClusterBundleRequest['format'] | undefined;
}

export interface ClusterBundleResult {
  outDir: string;
  files: string[];
  trainRows: number;
  evalRows: number;
  model: string;
}

/** Writes the bundle of a stored dataset into outDir, which must be new or empty. */
export async function exportClusterBundle(
  db: Database.Database,
  input: ExportClusterBundleInput,
  what = 'outDir',
): Promise<ClusterBundleResult> {
  const datasets = new DatasetsRepo(db);
  const dataset = datasets.get(input.datasetId);
  if (!dataset) throw new Error(`datasetId: no dataset with id ${input.datasetId}`);
  let model = PLACEHOLDER_MODEL;
  let startingAdapter: string | undefined;
  if (input.baseModelId !== undefined) {
    const row = new ModelsRepo(db).get(input.baseModelId);
    if (!row || row.removedAt !== null) throw new Error(`baseModelId: no model with id ${input.baseModelId}`);
    model = bundleModelFromDir(row.path);
    startingAdapter = row.adapterPath ?? undefined;
  } else if (input.modelDir !== undefined) model = bundleModelFromDir(input.modelDir);
  const outDir = await prepareOutputFolder(input.outDir, what);
  if ((await readdir(outDir)).length > 0)
    throw new Error(`${what}: ${outDir} is not empty; choose a new folder for the bundle`);
  const rows = datasets.rows(input.datasetId, null);
  const files = buildClusterBundle({
    datasetName: dataset.name,
    rows,
    settings: input.settings,
    model,
    gpus: input.gpus ?? 1,
    format: input.format ?? 'trl-conversational',
    startingAdapter,
  });
  return {
    outDir,
    files: await writeBundle(outDir, files),
    trainRows: rows.filter((r) => r.split === 'train').length,
    evalRows: rows.filter((r) => r.split === 'eval').length,
    model: model.nameOrPath,
  };
}

/** The command line's entry: the dataset by name in a data folder's database. */
export async function exportClusterBundleAt(
  dataDir: string,
  datasetName: string,
  input: Omit<ExportClusterBundleInput, 'datasetId'>,
): Promise<ClusterBundleResult> {
  const { db } = openDatabase(dataDir);
  try {
    const dataset = new DatasetsRepo(db).getByName(datasetName);
    if (!dataset) throw new Error(`--dataset: no dataset named "${datasetName}" in ${dataDir}`);
    return await exportClusterBundle(db, { ...input, datasetId: dataset.id }, '--out');
  } finally {
    db.close();
  }
}

/** The API's settings (null = not set) as the trainer's partial arguments. */
function settingsToArgs(settings: ApiParsedInput<'exportClusterBundle'>['settings']): Partial<TrainArgs> {
  const { loraTargets, maxSteps, maxLength, maxMemory, ...rest } = settings;
  return {
    ...rest,
    ...(maxMemory ? { maxMemory } : {}),
    ...(loraTargets ? { loraTargets } : {}),
    ...(maxSteps ? { maxSteps } : {}),
    ...(maxLength ? { maxLength } : {}),
  };
}

export function createBundleHandlers(db: Database.Database): Pick<ApiHandlers, 'exportClusterBundle'> {
  return {
    exportClusterBundle: async (input) => {
      try {
        return await exportClusterBundle(db, {
          datasetId: input.datasetId,
          settings: settingsToArgs(input.settings),
          outDir: input.outDir,
          baseModelId: input.baseModelId ?? undefined,
          gpus: input.gpus,
          format: input.format,
        });
      } catch (error) {
        if (error instanceof OutputPathError) throw new ApiError('invalid_input', error.message);
        const message = (error as Error).message.replace(/^--([a-z-]+)/, 'settings: $1');
        const code = /^(datasetId|baseModelId):/.test(message)
          ? 'not_found'
          : /not empty/.test(message)
            ? 'conflict'
            : 'invalid_input';
        throw new ApiError(code, message);
      }
    },
  };
}
