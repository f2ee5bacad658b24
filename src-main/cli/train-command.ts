// `dpo-workbench train dpo`: a LoRA DPO fine-tune with TRL's defaults; writes the PEFT adapter,
// metrics.jsonl, training_args.json and checkpoints into --out, resuming from <out>/checkpoint when it exists.
import { InvalidArgumentError, type Command } from 'commander';
import {
  describePlan,
  DPO_LOSS_TYPES,
  REFERENCE_CHOICES,
  runTrainJob,
  SCHEDULE_KINDS,
  TRAIN_DEFAULTS as D,
  type TrainArgs,
} from '../services/train/train-job';
import { parseChoice } from './parse-options';

// Number and list parsers that fail with a message naming the flag and the value.
export function parseNumber(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new InvalidArgumentError(`${option} must be a number; got "${value}"`);
    return n;
  };
}

export function parseInteger(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`${option} must be an integer; got "${value}"`);
    return n;
  };
}

export function parseList(option: string): (value: string) => string[] {
  return (value) => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0)
      throw new InvalidArgumentError(`${option} must be a comma-separated list; got "${value}"`);
    return items;
  };
}

type TrainOptions = Partial<TrainArgs> & {
  model: string;
  data: string;
  out: string;
  adapterInit?: string;
  resume?: boolean;
};

export function registerTrain(program: Command): void {
  const train = program.command('train').description('fine-tune a model');
  train
    .command('dpo')
    .description('DPO with LoRA (TRL semantics); resumes automatically from <out>/checkpoint')
    .requiredOption('--model <dir>', 'Hugging Face checkpoint folder')
    .requiredOption('--data <file>', 'PAIRS.jsonl (text, conversational or pre-tokenized TRL rows)')
    .requiredOption(
      '--out <dir>',
      'output folder: PEFT adapter, metrics.jsonl, training_args.json, checkpoint/',
    )
    .option('--adapter-init <dir>', 'start from this PEFT adapter (its r, alpha and target modules)')
    .option(
      '--reference <which>',
      `${REFERENCE_CHOICES.join(' | ')}: with --adapter-init, the reference is that adapter frozen (init, TRL's ` +
        `default) or the base model without it (base); without --adapter-init both are the base (default ${D.reference})`,
      parseChoice('--reference', REFERENCE_CHOICES),
    )
    .option('--resume', 'require <out>/checkpoint and continue from it')
    .option(
      '--loss <type>',
      `${DPO_LOSS_TYPES.join(' | ')} (default ${D.loss})`,
      parseChoice('--loss', DPO_LOSS_TYPES),
    )
    .option('--beta <x>', `KL strength (default ${D.beta})`, parseNumber('--beta'))
    .option(
      '--label-smoothing <x>',
      `cDPO / robust epsilon (default ${D.labelSmoothing})`,
      parseNumber('--label-smoothing'),
    )
    .option(
      '--sft-weight <x>',
      `add this times the chosen completions' NLL (TRL's rpo_alpha); 0 = off (default ${D.sftWeight})`,
      parseNumber('--sft-weight'),
    )
    .option('--pair-weights', "weight each pair's loss by its row's weight field (default off)")
    .option('--lora-r <n>', `LoRA rank (default ${D.loraR})`, parseInteger('--lora-r'))
    .option(
      '--lora-alpha <x>',
      `LoRA alpha; the update is scaled by alpha/r (default ${D.loraAlpha})`,
      parseNumber('--lora-alpha'),
    )
    .option(
      '--lora-targets <list>',
      'comma-separated module names (default: every attention and MLP projection)',
      parseList('--lora-targets'),
    )
    .option(
      '--optimizer <name>',
      `adamw | sgd (default ${D.optimizer})`,
      parseChoice('--optimizer', ['adamw', 'sgd'] as const),
    )
    .option(
      '--lr <x>',
      `peak learning rate (default ${D.lr}, TRL's; LoRA runs often use 5e-6 to 5e-5)`,
      parseNumber('--lr'),
    )
    .option(
      '--weight-decay <x>',
      `decoupled (AdamW) or L2 (SGD) decay (default ${D.weightDecay})`,
      parseNumber('--weight-decay'),
    )
    .option(
      '--max-grad-norm <x>',
      `clip the global gradient norm; 0 = off (default ${D.maxGradNorm})`,
      parseNumber('--max-grad-norm'),
    )
    .option(
      '--batch-size <n>',
      `pairs per optimizer step (default ${D.batchSize})`,
      parseInteger('--batch-size'),
    )
    .option(
      '--grad-accum <n>',
      `micro-batches per step, dividing --batch-size (default ${D.gradAccum})`,
      parseInteger('--grad-accum'),
    )
    .option('--epochs <n>', `passes over the training pairs (default ${D.epochs})`, parseInteger('--epochs'))
    .option('--max-steps <n>', 'optimizer steps (instead of --epochs)', parseInteger('--max-steps'))
    .option(
      '--schedule <kind>',
      `${SCHEDULE_KINDS.join(' | ')} (default ${D.schedule})`,
      parseChoice('--schedule', SCHEDULE_KINDS),
    )
    .option(
      '--warmup-ratio <x>',
      `fraction of steps warming up (default ${D.warmupRatio})`,
      parseNumber('--warmup-ratio'),
    )
    .option(
      '--max-length <n>',
      "tokens per sequence, keeping the start as TRL's keep_start (default min(1024, the model maximum))",
      parseInteger('--max-length'),
    )
    .option(
      '--eval-split <x>',
      `fraction of pairs held out; 0 = no evaluation (default ${D.evalSplit})`,
      parseNumber('--eval-split'),
    )
    .option(
      '--eval-every <n>',
      `steps between evaluations (default ${D.evalEvery})`,
      parseInteger('--eval-every'),
    )
    .option(
      '--checkpoint-every <n>',
      `steps between checkpoints (default ${D.checkpointEvery})`,
      parseInteger('--checkpoint-every'),
    )
    .option('--seed <n>', `data order, eval split and LoRA init (default ${D.seed})`, parseInteger('--seed'))
    .option(
      '--device <device>',
      'auto | cpu | cuda (default auto)',
      parseChoice('--device', ['auto', 'cpu', 'cuda'] as const),
    )
    .option(
      '--max-memory <GB>',
      'memory budget: the largest micro-batch (and layer recomputation or not) that fits it is used, ' +
        'and a run that cannot fit is refused before it starts (default: 70% of the free RAM)',
      parseNumber('--max-memory'),
    )
    .action(async (options: TrainOptions) => {
      const { model, data, out, adapterInit, resume, ...args } = options;
      if (args.epochs !== undefined && args.maxSteps !== undefined)
        throw new Error('--epochs and --max-steps exclude each other; give one');
      // Ctrl-C ends the run after the current step with a checkpoint; running again resumes it.
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      const result = await runTrainJob({
        signal: controller.signal,
        model,
        data,
        out,
        args,
        ...(adapterInit ? { adapterInit } : {}),
        ...(resume ? { resume } : {}),
        onStart: (info) => {
          console.error(
            `device: ${info.device}${info.reason ? ` (${info.reason})` : ''}; steps ${info.startStep + 1}..${info.totalSteps}`,
          );
          const rss = (process.memoryUsage().rss / 2 ** 30).toFixed(2);
          console.error(`${describePlan(info.memory)}; RSS now ${rss} GB`);
        },
        onWarning: (message) => console.error(`warning: ${message}`),
        onLog: (row) =>
          console.error(
            `step ${row.step}: loss ${row.loss?.toFixed(4)} margin ${row['rewards/margins']?.toFixed(4)} ` +
              `acc ${row['rewards/accuracies']?.toFixed(2)}${row.eval_loss === undefined ? '' : ` eval_loss ${row.eval_loss.toFixed(4)}`}`,
          ),
      });
      console.log(
        `${result.status}: ${result.steps} steps; adapter, metrics.jsonl and training_args.json in ${out}`,
      );
    });
}
