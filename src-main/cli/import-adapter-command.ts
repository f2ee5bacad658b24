// `dpo-workbench import-adapter`: registers a PEFT LoRA adapter trained elsewhere (e.g. by a cluster
// bundle's TRL job) as a tuned version of the model its adapter_config.json names, for the Compare view.
import path from 'node:path';
import type { Command } from 'commander';
import { importAdapterAt } from '../services/models/adapter-import';
import { defaultDataDir } from '../services/data-dir';
import { parseInteger } from './train-command';

interface ImportAdapterOptions {
  dataDir: string;
  baseModel?: number;
  name?: string;
}

export function registerImportAdapter(program: Command): void {
  program
    .command('import-adapter')
    .description('register a PEFT LoRA adapter folder as a tuned version of its base model')
    .argument('<adapter-dir>', 'folder with adapter_config.json and adapter_model.safetensors')
    .option('--data-dir <dir>', 'data folder (database, models, runs)', defaultDataDir())
    .option(
      '--base-model <id>',
      "the base model's id (default: the model base_model_name_or_path names)",
      parseInteger('--base-model'),
    )
    .option('--name <name>', 'name of the new version')
    .action(async (adapterDir: string, options: ImportAdapterOptions) => {
      const row = await importAdapterAt(path.resolve(options.dataDir), adapterDir, {
        baseModelId: options.baseModel,
        name: options.name,
      });
      console.log(`registered model ${row.id} "${row.name}" (adapter on model ${row.parentId})`);
    });
}
