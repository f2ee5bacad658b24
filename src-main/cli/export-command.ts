// `dpo-workbench export`: a dataset as TRL JSONL (standard or conversational), CSV or Parquet, whole or one
// side of its split; written to a temporary file first and renamed, so a failed export leaves no half file.
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ExportFormat, Split } from '../../src-shared/labeling-schemas';
import { defaultDataDir } from '../services/data-dir';
import { openWorkbench } from '../services/open-workbench';
import { prepareOutputFile } from '../services/output-folder';
import { parseChoice } from './parse-options';

interface ExportOptions {
  dataDir: string;
  dataset: string;
  format: ExportFormat;
  out: string;
  split?: Split;
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${file}.partial-${process.pid}`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a dataset as TRL preference JSONL, CSV or Parquet')
    .option('--data-dir <dir>', 'data folder (database, models, runs)', defaultDataDir())
    .requiredOption('--dataset <name>', 'the dataset to export')
    .requiredOption(
      '--format <format>',
      ExportFormat.options.join(' | '),
      parseChoice('--format', ExportFormat.options),
    )
    .requiredOption('--out <file>', 'where to write it')
    .option('--split <split>', 'train | eval: write one side only', parseChoice('--split', Split.options))
    .action(async (options: ExportOptions) => {
      // The target's folder is checked (and made) before the export is built: a bad path fails at once.
      const out = await prepareOutputFile(options.out, '--out');
      const workbench = openWorkbench({ dataDir: path.resolve(options.dataDir), transport: 'http' });
      try {
        const { datasets } = workbench.data;
        const exported = datasets.exportDataset(
          datasets.idByName(options.dataset),
          options.format,
          options.split ?? null,
        );
        await writeAtomically(out, exported.bytes);
        console.log(
          `wrote ${exported.rows} rows of dataset "${options.dataset}" to ${options.out} (${options.format})`,
        );
      } finally {
        workbench.close();
      }
    });
}
