// `dpo-workbench demo` (npm run demo): the whole loop on the embedded tiny model with a programmatic judge
// in the person's place; prints the measured before/after table and leaves the run in the data folder.
import path from 'node:path';
import type { Command } from 'commander';
import { defaultDataDir } from '../services/data-dir';
import { formatDemoTable } from '../services/demo/demo-table';
import { DEMO_DEFAULTS, DEMO_QUICK, runDemo } from '../services/demo/run-demo';
import { parseChoice } from './parse-options';
import { parseInteger, parseNumber } from './train-command';

interface DemoCommandOptions {
  dataDir: string;
  quick?: boolean;
  prompts?: number;
  heldOut?: number;
  samples?: number;
  steps?: number;
  rounds?: number;
  method?: 'dpo' | 'kto' | 'orpo';
  lr?: number;
  beta?: number;
  sftWeight?: number;
  loraR?: number;
  seed?: number;
  model?: string;
}

export function registerDemo(program: Command): void {
  const d = DEMO_DEFAULTS;
  program
    .command('demo')
    .description('run the loop on the embedded tiny model with a programmatic judge and print what changed')
    .option(
      '--data-dir <dir>',
      'data folder the run is left in (open the app on it to see it)',
      defaultDataDir(),
    )
    .option(
      '--quick',
      `a reduced run for CI: ${DEMO_QUICK.trainPrompts} prompts, N=${DEMO_QUICK.samples}, ${DEMO_QUICK.steps} steps`,
    )
    .option('--prompts <n>', `training prompts (default ${d.trainPrompts})`, parseInteger('--prompts'))
    .option(
      '--held-out <n>',
      `held-out prompts for the evaluation (default ${d.heldOutPrompts})`,
      parseInteger('--held-out'),
    )
    .option(
      '--samples <n>',
      `samples per prompt, best-of-N (default ${d.samples})`,
      parseInteger('--samples'),
    )
    .option('--steps <n>', `optimizer steps per round (default ${d.steps})`, parseInteger('--steps'))
    .option(
      '--rounds <n>',
      `rounds of on-policy training, each from the last round's version (default ${d.rounds})`,
      parseInteger('--rounds'),
    )
    .option(
      '--method <name>',
      `dpo | kto | orpo (default ${d.method})`,
      parseChoice('--method', ['dpo', 'kto', 'orpo'] as const),
    )
    .option('--lr <x>', `learning rate (default ${d.lr})`, parseNumber('--lr'))
    .option('--beta <x>', `DPO beta (default ${d.beta})`, parseNumber('--beta'))
    .option(
      '--sft-weight <x>',
      `weight of the chosen answers' NLL in the loss (default ${d.sftWeight})`,
      parseNumber('--sft-weight'),
    )
    .option('--lora-r <n>', `LoRA rank, alpha twice it (default ${d.loraR})`, parseInteger('--lora-r'))
    .option(
      '--seed <n>',
      `prompt draw, sampling and training seed (default ${d.seed})`,
      parseInteger('--seed'),
    )
    .option('--model <dir>', 'a tiny-model folder instead of the embedded one')
    .action(async (options: DemoCommandOptions) => {
      const base = options.quick ? DEMO_QUICK : DEMO_DEFAULTS;
      const report = await runDemo(
        {
          dataDir: path.resolve(options.dataDir),
          trainPrompts: options.prompts ?? base.trainPrompts,
          heldOutPrompts: options.heldOut ?? base.heldOutPrompts,
          samples: options.samples ?? base.samples,
          steps: options.steps ?? base.steps,
          rounds: options.rounds ?? base.rounds,
          method: options.method ?? base.method,
          lr: options.lr ?? base.lr,
          beta: options.beta ?? base.beta,
          sftWeight: options.sftWeight ?? base.sftWeight,
          loraR: options.loraR ?? base.loraR,
          maxNewTokens: base.maxNewTokens,
          seed: options.seed ?? base.seed,
          modelDir: options.model,
        },
        (line) => console.error(line),
      );
      process.stdout.write(formatDemoTable(report));
      const last = report.rounds.at(-1)?.ids;
      if (last)
        console.error(
          `left in ${options.dataDir}: ${report.rounds.length} round(s); the last: dataset ${last.datasetId}, run ${last.runId}, tuned model ${last.tunedModelId}, comparison ${last.comparisonId}`,
        );
    });
}
