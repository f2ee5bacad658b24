// `dpo-workbench import`: a preference file (TRL JSONL, HH, UltraFeedback, CSV, Parquet) or a prompt list
// into the data folder, all or nothing, optionally as a new dataset; the same service as the app's import.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ImportAs, type FileImportResult } from '../../src-shared/schemas';
import { defaultDataDir } from '../services/data-dir';
import { openWorkbench } from '../services/open-workbench';
import { parseChoice } from './parse-options';

interface ImportOptions {
  dataDir: string;
  as?: ImportAs;
  dataset?: string;
  evalFraction?: number;
}

function checkFraction(value: number): number {
  if (!(value >= 0 && value < 1)) throw new Error(`--eval-fraction: must be in [0, 1), got ${value}`);
  return value;
}

export function readInputFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? ': no such file' : ` (${code ?? 'error'})`;
    throw new Error(`cannot read ${file}${reason}`, { cause: error });
  }
}

export function describeImport(result: FileImportResult): string {
  const what =
    result.kind === 'pairs' ? `${result.pairsAdded} new pairs` : `${result.promptsAdded} new prompts`;
  const split =
    result.dataset?.pairs === undefined
      ? ''
      : `: ${result.dataset.pairs} pairs, ${result.dataset.train} train / ${result.dataset.eval} eval`;
  const dataset = result.dataset
    ? `; dataset "${result.dataset.name}" (id ${result.dataset.id}${split})`
    : '';
  return (
    `imported ${what} from ${result.fileName} (${result.format}: ${result.rows} rows, ` +
    `${result.duplicatesSkipped} already stored or repeated` +
    `${result.identicalSkipped > 0 ? `, ${result.identicalSkipped} dropped: chosen equals rejected` : ''})${dataset}`
  );
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import preference pairs or prompts from a .jsonl, .csv, .parquet or .txt file')
    .argument('<file>', 'the file to import')
    .option('--data-dir <dir>', 'data folder (database, models, runs)', defaultDataDir())
    .option('--as <kind>', 'pairs | prompts (default: from the file)', parseChoice('--as', ImportAs.options))
    .option('--dataset <name>', 'also make the imported pairs a new dataset of this name')
    .option(
      '--eval-fraction <x>',
      'with --dataset: hold out this share of pairs for eval (split by prompt)',
      parseFloat,
    )
    .action(async (file: string, options: ImportOptions) => {
      const bytes = readInputFile(file);
      const workbench = openWorkbench({ dataDir: path.resolve(options.dataDir), transport: 'http' });
      try {
        const request = {
          fileName: file,
          bytes,
          as: options.as,
          dataset: options.dataset,
          ...(options.evalFraction === undefined
            ? {}
            : { evalFraction: checkFraction(options.evalFraction) }),
        };
        console.log(describeImport(await workbench.data.imports.importFile(request)));
      } finally {
        workbench.close();
      }
    });
}
