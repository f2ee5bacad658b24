// `dpo-workbench generate`: best-of-N candidates for every prompt of a file, one JSON row per candidate.
import type { Command } from 'commander';
import { runGenerateFileJob } from '../services/generate/generate-file-job';
import { parseChoice } from './parse-options';
import { parseInteger, parseNumber } from './train-command';

interface GenerateOptions {
  model: string;
  adapter?: string;
  prompts: string;
  n: number;
  maxNewTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed: number;
  stop: string[];
  promptsPerBatch: number;
  device: 'auto' | 'cpu' | 'cuda';
  out: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('sample N candidates per prompt; writes one JSON row per candidate')
    .requiredOption('--model <dir>', 'Hugging Face checkpoint folder (with tokenizer.json)')
    .option('--adapter <dir>', 'PEFT LoRA adapter folder applied on top of the model')
    .requiredOption(
      '--prompts <file>',
      '.txt (one per line), .jsonl (prompt or messages) or .csv (prompt column)',
    )
    .requiredOption('--n <n>', 'candidates per prompt', parseInteger('--n'))
    .requiredOption('--max-new-tokens <n>', 'tokens per candidate at most', parseInteger('--max-new-tokens'))
    .option('--temperature <t>', 'default: generation_config.json, else 1', parseNumber('--temperature'))
    .option('--top-p <p>', 'default: generation_config.json, else 1', parseNumber('--top-p'))
    .option(
      '--top-k <k>',
      'default: generation_config.json, else 50; 0 turns it off',
      parseInteger('--top-k'),
    )
    .option('--seed <n>', 'run seed; each candidate derives its own from it', parseInteger('--seed'), 0)
    .option('--stop <text>', 'stop string (repeat for several)', collect, [])
    .option(
      '--prompts-per-batch <n>',
      'prompts decoded together (default 1)',
      parseInteger('--prompts-per-batch'),
      1,
    )
    .option(
      '--device <device>',
      'auto | cpu | cuda',
      parseChoice('--device', ['auto', 'cpu', 'cuda'] as const),
      'auto',
    )
    .requiredOption('--out <file>', 'output JSONL')
    .action(async (o: GenerateOptions) => {
      let lastDone = -1;
      const result = await runGenerateFileJob(
        {
          modelDir: o.model,
          ...(o.adapter ? { adapterDir: o.adapter } : {}),
          promptsFile: o.prompts,
          out: o.out,
          n: o.n,
          maxNewTokens: o.maxNewTokens,
          ...(o.temperature === undefined ? {} : { temperature: o.temperature }),
          ...(o.topP === undefined ? {} : { topP: o.topP }),
          ...(o.topK === undefined ? {} : { topK: o.topK }),
          seed: o.seed,
          stopStrings: o.stop,
          promptsPerBatch: o.promptsPerBatch,
          device: o.device,
        },
        {
          onProgress: (p) => {
            if (p.promptsDone === lastDone) return;
            lastDone = p.promptsDone;
            console.error(
              `prompts ${p.promptsDone}/${p.promptsTotal}, ${p.tokens} tokens, ${p.tokensPerSecond.toFixed(1)} tokens/s`,
            );
          },
        },
      );
      console.error(`device: ${result.device}${result.deviceNote ? ` (${result.deviceNote})` : ''}`);
      console.log(`wrote ${result.candidates.length} candidates for ${result.prompts} prompts to ${o.out}`);
    });
}
