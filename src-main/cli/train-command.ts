// `dpo-workbench train dpo|kto|orpo`: a LoRA fine-tune with TRL's defaults and its objective (the same options
// where they apply); writes the PEFT adapter, metrics.jsonl, training_args.json and checkpoints into --out,
// resuming from <out>/checkpoint when it exists.
import { InvalidArgumentError, type Command } from 'commander';
import {
  describePlan,
  DPO_LOSS_TYPES,
  REFERENCE_CHOICES,
  runTrainJob,
  SCHEDULE_KINDS,
  TRAIN_DEFAULTS as D,
  type TrainArgs,
  type TrainMethod,
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

/** What each objective adds to the shared options, and how its data is described. */
const METHODS: Record<TrainMethod, { description: string; data: string; options(c: Command): Command }> = {
  dpo: {
    description: 'DPO with LoRA (TRL semantics); resumes automatically from <out>/checkpoint',
    data: 'PAIRS.jsonl (text, conversational or pre-tokenized TRL rows)',
    options: (c) =>
      c
        .option(
          '--loss <type>',
          `${DPO_LOSS_TYPES.join(' | ')} (default ${D.loss})`,
          parseChoice('--loss', DPO_LOSS_TYPES),
        )
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
        .option('--pair-weights', "weight each pair's loss by its row's weight field (default off)"),
  },
  kto: {
    description:
      'KTO with LoRA (TRL KTOTrainer): unpaired desirable/undesirable completions, KL estimated from mismatched pairs',
    data: 'KTO rows {prompt, completion, label} (or prompt_ids/completion_ids), or preference rows (unpaired)',
    options: (c) =>
      c
        .option(
          '--desirable-weight <x>',
          `weight of desirable examples' losses (default ${D.desirableWeight})`,
          parseNumber('--desirable-weight'),
        )
        .option(
          '--undesirable-weight <x>',
          `weight of undesirable examples' losses (default ${D.undesirableWeight})`,
          parseNumber('--undesirable-weight'),
        ),
  },
  orpo: {
    description: 'ORPO with LoRA (TRL ORPOTrainer): odds-ratio term + chosen NLL, no reference model',
    data: 'PAIRS.jsonl (text, conversational or pre-tokenized TRL rows)',
    options: (c) => c,
  },
};

/** The options every objective shares. */
function sharedOptions(command: Command): Command {
  return command
    .option('--adapter-init <dir>', 'start from this PEFT adapter (its r, alpha and target modules)')
    .option(
      '--reference <which>',
      `${REFERENCE_CHOICES.join(' | ')}: with --adapter-init, the reference is that adapter frozen (init, TRL's ` +
        `default) or the base model without it (base); without --adapter-init both are the base (default ${D.reference})`,
      parseChoice('--reference', REFERENCE_CHOICES),
    )
    .option('--resume', 'require <out>/checkpoint and continue from it')
    .option('--beta <x>', `KL strength (default ${D.beta})`, parseNumber('--beta'))
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
      `pairs (KTO: examples) per optimizer step (default ${D.batchSize})`,
      parseInteger('--batch-size'),
    )
    .option(
      '--grad-accum <n>',
      `micro-batches per step, dividing --batch-size (default ${D.gradAccum})`,
      parseInteger('--grad-accum'),
    )
    .option('--epochs <n>', `passes over the training data (default ${D.epochs})`, parseInteger('--epochs'))
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
      `fraction held out; 0 = no evaluation (default ${D.evalSplit})`,
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
    );
}

async function runTrain(method: TrainMethod, options: TrainOptions): Promise<void> {
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
    args: { ...args, method },
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
    onLog: (row) => console.error(logLine(row)),
  });
  console.log(
    `${result.status}: ${result.steps} steps; adapter, metrics.jsonl and training_args.json in ${out}`,
  );
}

const fixed = (x: number | undefined, digits: number): string =>
  x === undefined ? 'n/a' : x.toFixed(digits);

function logLine(row: Record<string, number>): string {
  const extra = row.kl === undefined ? '' : ` kl ${fixed(row.kl, 4)}`;
  return (
    `step ${row.step}: loss ${fixed(row.loss, 4)} margin ${fixed(row['rewards/margins'], 4)} ` +
    `acc ${fixed(row['rewards/accuracies'], 2)}${extra}` +
    (row.eval_loss === undefined ? '' : ` eval_loss ${fixed(row.eval_loss, 4)}`)
  );
}

export function registerTrain(program: Command): void {
  const train = program.command('train').description('fine-tune a model');
  for (const [method, spec] of Object.entries(METHODS) as [TrainMethod, (typeof METHODS)[TrainMethod]][]) {
    const command = train
      .command(method)
      .description(spec.description)
      .requiredOption('--model <dir>', 'Hugging Face checkpoint folder')
      .requiredOption('--data <file>', spec.data)
      .requiredOption(
        '--out <dir>',
        'output folder: PEFT adapter, metrics.jsonl, training_args.json, checkpoint/',
      );
    spec.options(sharedOptions(command)).action((options: TrainOptions) => runTrain(method, options));
  }
}
