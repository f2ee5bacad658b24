// `dpo-workbench bundle`: a folder that runs the same DPO fine-tune on a GPU cluster with TRL (dataset as
// TRL JSONL, `trl dpo --config` YAML, accelerate and DeepSpeed ZeRO-2 configs, a README).
import path from 'node:path';
import type { Command } from 'commander';
import { exportClusterBundleAt } from '../services/train/cluster-bundle';
import { defaultDataDir } from '../services/data-dir';
import { DPO_LOSS_TYPES, SCHEDULE_KINDS, type TrainArgs } from '../services/train/train-job';
import { parseChoice } from './parse-options';
import { parseInteger, parseList, parseNumber } from './train-command';

type Parser = (value: string) => unknown;

/** The training settings the bundle carries over, as `train dpo` spells them (its --help explains each). */
const SETTING_FLAGS: Array<[flag: string, what: string, parse: Parser]> = [
  ['--loss <type>', DPO_LOSS_TYPES.join(' | '), parseChoice('--loss', DPO_LOSS_TYPES)],
  ['--beta <x>', 'KL strength', parseNumber('--beta')],
  ['--label-smoothing <x>', 'cDPO / robust epsilon', parseNumber('--label-smoothing')],
  ['--sft-weight <x>', "weight of the chosen completions' NLL (TRL's sft loss)", parseNumber('--sft-weight')],
  ['--lora-r <n>', 'LoRA rank', parseInteger('--lora-r')],
  ['--lora-alpha <x>', 'LoRA alpha', parseNumber('--lora-alpha')],
  ['--lora-targets <list>', 'comma-separated module names', parseList('--lora-targets')],
  ['--optimizer <name>', 'adamw | sgd', parseChoice('--optimizer', ['adamw', 'sgd'] as const)],
  ['--lr <x>', 'peak learning rate', parseNumber('--lr')],
  ['--weight-decay <x>', 'weight decay', parseNumber('--weight-decay')],
  ['--max-grad-norm <x>', 'gradient clipping; 0 = off', parseNumber('--max-grad-norm')],
  ['--batch-size <n>', 'pairs per optimizer step, over all GPUs', parseInteger('--batch-size')],
  ['--grad-accum <n>', 'micro-batches per step', parseInteger('--grad-accum')],
  ['--epochs <n>', 'passes over the training pairs', parseInteger('--epochs')],
  ['--max-steps <n>', 'optimizer steps (instead of --epochs)', parseInteger('--max-steps')],
  ['--schedule <kind>', SCHEDULE_KINDS.join(' | '), parseChoice('--schedule', SCHEDULE_KINDS)],
  ['--warmup-ratio <x>', 'fraction of steps warming up', parseNumber('--warmup-ratio')],
  ['--max-length <n>', 'tokens per sequence', parseInteger('--max-length')],
  ['--eval-every <n>', 'steps between evaluations', parseInteger('--eval-every')],
  ['--checkpoint-every <n>', 'steps between checkpoints', parseInteger('--checkpoint-every')],
  ['--seed <n>', 'seed', parseInteger('--seed')],
];

type BundleOptions = Partial<TrainArgs> & {
  dataDir: string;
  dataset: string;
  out: string;
  model?: string;
  gpus?: number;
  format?: 'trl' | 'trl-conversational';
};

export function registerBundle(program: Command): void {
  const command = program
    .command('bundle')
    .description('export a dataset and training settings as a TRL job folder for a GPU cluster')
    .option('--data-dir <dir>', 'data folder (database, models, runs)', defaultDataDir())
    .requiredOption('--dataset <name>', 'the dataset to train on')
    .requiredOption('--out <dir>', 'a new (or empty) folder for the bundle')
    .option(
      '--model <dir>',
      'base checkpoint folder (its config.json names the hub model); default: a placeholder',
    )
    .option('--gpus <n>', 'GPUs the job runs on (default 1)', parseInteger('--gpus'))
    .option(
      '--format <format>',
      'trl | trl-conversational (default; TRL applies the chat template)',
      parseChoice('--format', ['trl', 'trl-conversational'] as const),
    );
  for (const [flag, what, parse] of SETTING_FLAGS) command.option(flag, what, parse);
  command.action(async (options: BundleOptions) => {
    const { dataDir, dataset, out, model, gpus, format, ...settings } = options;
    if (settings.epochs !== undefined && settings.maxSteps !== undefined)
      throw new Error('--epochs and --max-steps exclude each other; give one');
    const result = await exportClusterBundleAt(path.resolve(dataDir), dataset, {
      settings,
      outDir: out,
      modelDir: model,
      gpus,
      format,
    });
    console.log(
      `wrote a TRL job for dataset "${dataset}" (${result.trainRows} train, ${result.evalRows} eval pairs; model ${result.model}) to ${result.outDir}`,
    );
  });
}
