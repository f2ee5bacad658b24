// `dpo-workbench merge`: a base checkpoint and a PEFT adapter -> one merged Hugging Face checkpoint folder.
import type { Command } from 'commander';
import { runMergeJob } from '../services/models/merge-job';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('merge a PEFT LoRA adapter into its base model and write a Hugging Face checkpoint')
    .requiredOption('--model <dir>', 'base Hugging Face checkpoint folder')
    .requiredOption('--adapter <dir>', 'PEFT LoRA adapter folder')
    .requiredOption('--out <dir>', 'folder for the merged checkpoint')
    .action(async (options: { model: string; adapter: string; out: string }) => {
      const result = await runMergeJob(options);
      console.log(`wrote ${options.out}/model.safetensors (${result.tensors} tensors, ${result.dtype})`);
    });
}
