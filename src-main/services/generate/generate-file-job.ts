// `generate` from files: a prompt list (.txt, .jsonl or .csv, read by the import parsers) in, one JSON row per
// candidate out. Prompt ids are the prompts' 1-based positions in the file, which also derive their seeds.
import { readFile, writeFile } from 'node:fs/promises';
import { parseImportFile } from '../import/parse-import-file';
import type { ParsedPrompt } from '../import/import-types';
import {
  runGeneration,
  type GenerationHooks,
  type GenerationRequest,
  type GenerationResult,
} from './generate-job';

export interface GenerateFileJobOptions extends Omit<GenerationRequest, 'prompts'> {
  promptsFile: string;
  out: string;
}

/** The prompts of a .txt (one per line, or blank-line blocks), .jsonl or .csv prompt list, in file order. */
export async function readPromptFile(path: string): Promise<ParsedPrompt[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`${path}: cannot read the prompts file (${(error as Error).message})`, { cause: error });
  }
  const parsed = await parseImportFile(path, bytes, 'prompts');
  if (parsed.kind !== 'prompts') throw new Error(`${path}: expected prompts`);
  return parsed.prompts;
}

export async function runGenerateFileJob(
  options: GenerateFileJobOptions,
  hooks: GenerationHooks = {},
): Promise<GenerationResult & { prompts: number }> {
  const parsed = await readPromptFile(options.promptsFile);
  const { promptsFile: _file, out, ...request } = options;
  const prompts = parsed.map((p, i) => ({
    id: String(i + 1),
    ...(p.messages ? { messages: p.messages } : { text: p.text }),
  }));
  const result = await runGeneration({ ...request, prompts }, hooks);
  const textOf = new Map(parsed.map((p, i) => [String(i + 1), p.text]));
  const lines = result.candidates.map((c) =>
    JSON.stringify({
      prompt: textOf.get(c.promptId),
      prompt_id: c.promptId,
      candidate: c.index,
      text: c.text,
      token_ids: c.tokenIds,
      token_count: c.tokenCount,
      logp: c.logp,
      finish_reason: c.finishReason,
      seed: c.seed,
      sampling: c.sampling,
    }),
  );
  await writeFile(out, lines.map((line) => `${line}\n`).join(''));
  return { ...result, prompts: parsed.length };
}
