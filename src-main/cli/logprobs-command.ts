// `dpo-workbench logprobs`: sequence log-probs of each PAIRS.jsonl row under a model (+ adapter), as JSONL.
import type { Command } from 'commander';
import { runLogprobsJob } from '../services/train/logprobs-job';
import { parseChoice } from './parse-options';
import { parseInteger } from './train-command';

interface LogprobsOptions {
  model: string;
  adapter?: string;
  data: string;
  out: string;
  device: 'auto' | 'cpu' | 'cuda';
  batchSize?: number;
}

export function registerLogprobs(program: Command): void {
  program
    .command('logprobs')
    .description(
      'write {chosen_logp, rejected_logp, chosen_tokens, rejected_tokens} for every pair, in order',
    )
    .requiredOption('--model <dir>', 'Hugging Face checkpoint folder')
    .option('--adapter <dir>', 'PEFT LoRA adapter folder applied on top of the model')
    .requiredOption('--data <file>', 'PAIRS.jsonl (text, conversational or pre-tokenized TRL rows)')
    .requiredOption('--out <file>', 'output JSONL')
    .option(
      '--device <device>',
      'auto | cpu | cuda',
      parseChoice('--device', ['auto', 'cpu', 'cuda'] as const),
      'auto',
    )
    .option('--batch-size <n>', 'pairs per run (default 8)', parseInteger('--batch-size'))
    .action(async (options: LogprobsOptions) => {
      if (options.batchSize !== undefined && options.batchSize < 1)
        throw new Error('--batch-size must be >= 1');
      const result = await runLogprobsJob({
        model: options.model,
        data: options.data,
        out: options.out,
        device: options.device,
        ...(options.adapter ? { adapter: options.adapter } : {}),
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      });
      console.error(`device: ${result.device}${result.reason ? ` (${result.reason})` : ''}`);
      console.log(`wrote ${result.rows} rows to ${options.out}`);
    });
}
