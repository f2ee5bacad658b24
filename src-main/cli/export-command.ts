// `dpo-workbench export`: a dataset as TRL JSONL (standard or conversational), CSV or Parquet, whole or one
// side of its split; written to a temporary file first and renamed, so a failed export leaves no half file.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ExportFormat, Split } from '../../src-shared/labeling-schemas';
import { defaultDataDir } from '../services/data-dir';
import { openWorkbench } from '../services/open-workbench';
import { parseChoice } from './parse-options';

interface ExportOptions {
  dataDir: string;
  dataset: string;
  format: ExportFormat;
  out: string;
  split?: Split;
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.partial-${process.pid}`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
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
    .action((options: ExportOptions) => {
      const workbench = openWorkbench({ dataDir: path.resolve(options.dataDir), transport: 'http' });
      try {
        const { datasets } = workbench.data;
        const exported = datasets.exportDataset(
          datasets.idByName(options.dataset),
          options.format,
          options.split ?? null,
        );
        writeAtomically(options.out, exported.bytes);
        console.log(
          `wrote ${exported.rows} rows of dataset "${options.dataset}" to ${options.out} (${options.format})`,
        );
      } finally {
        workbench.close();
      }
    });
}
