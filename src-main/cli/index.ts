// The dpo-workbench command line: one subcommand per file, over the same services as the app.
// Exit status 0 on success; otherwise one line on stderr that says why.
import { Command, CommanderError } from 'commander';
import { appVersion } from '../services/project-root';
import { registerBundle } from './bundle-command';
import { registerDemo } from './demo-command';
import { registerDevice } from './device-command';
import { registerExport } from './export-command';
import { registerGenerate } from './generate-command';
import { registerImportAdapter } from './import-adapter-command';
import { registerImport } from './import-command';
import { registerLogprobs } from './logprobs-command';
import { registerMerge } from './merge-command';
import { registerServe } from './serve-command';
import { registerTrain } from './train-command';

export function buildProgram(): Command {
  const program = new Command('dpo-workbench')
    .description('DPO Workbench: sample, rate, fine-tune with DPO and compare, on your own machine')
    .version(appVersion())
    .showHelpAfterError('(run dpo-workbench --help for usage)');
  registerServe(program);
  registerDevice(program);
  registerImport(program);
  registerExport(program);
  registerGenerate(program);
  registerLogprobs(program);
  registerTrain(program);
  registerMerge(program);
  registerBundle(program);
  registerImportAdapter(program);
  registerDemo(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    console.error(`dpo-workbench: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    process.exit(1);
  }
}

void main(process.argv);
