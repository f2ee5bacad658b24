// KTO's data: TRL's unpaired rows {prompt, completion, label} (text, conversational or pre-tokenized), or
// preference rows unpaired as TRL's unpair_preference_dataset does (chosen desirable, rejected undesirable),
// then TRL's KL dataset: each example also gets a mismatched completion, the previous example's in its
// batch-sized chunk (_get_kl_dataset's +1 offset), for the KL(policy || reference) estimate.
import { readFile } from 'node:fs/promises';
import { tokenizeRow, type PairExample, type PairTokenizer } from './collate';

/** One KTO example as token ids. */
export interface UnpairedExample {
  prompt: number[];
  completion: number[];
  desirable: boolean;
}

const KTO_ID_FIELDS = [
  ['prompt_ids', 'completion_ids'],
  ['prompt_input_ids', 'completion_input_ids'],
] as const;

/**
 * One row -> its examples: a KTO row gives one, a preference row two. Text completions are tokenized as the
 * DPO rows' are (collate.ts: no special tokens, eos appended), so a completion scores the same either way.
 */
export function tokenizeKtoRow(
  row: unknown,
  tokenizer: PairTokenizer | undefined,
  where: string,
): UnpairedExample[] {
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    throw new Error(`${where}: a row must be a JSON object`);
  const r = row as Record<string, unknown>;
  const isPair = 'chosen' in r || 'chosen_ids' in r || 'chosen_input_ids' in r;
  if (isPair) {
    const pair = tokenizeRow(r, tokenizer, where);
    return [
      { prompt: pair.prompt, completion: pair.chosen, desirable: true },
      { prompt: pair.prompt, completion: pair.rejected, desirable: false },
    ];
  }
  if (typeof r.label !== 'boolean')
    throw new Error(`${where}: field label must be true (desirable) or false (undesirable)`);
  const ids = KTO_ID_FIELDS.find(([p]) => p in r);
  const asPair = ids
    ? { prompt_ids: r[ids[0]], chosen_ids: r[ids[1]], rejected_ids: r[ids[1]] }
    : { prompt: r.prompt, chosen: r.completion, rejected: r.completion };
  if (!ids && !('completion' in r))
    throw new Error(`${where}: field completion is missing (or give prompt_ids/completion_ids)`);
  const pair = tokenizeRow(asPair, tokenizer, where);
  return [{ prompt: pair.prompt, completion: pair.chosen, desirable: r.label }];
}

/**
 * The KL dataset: in chunks of `chunk` examples (TRL maps _get_kl_dataset with the batch size), example i's
 * mismatched completion is example i-1's, the first taking the last's. As PairExamples for the two-row batch:
 * `chosen` = the completion, `rejected` = the mismatched one, `desirable` = the label.
 */
export function withKlCompletions(examples: readonly UnpairedExample[], chunk: number): PairExample[] {
  if (!Number.isInteger(chunk) || chunk < 2)
    throw new Error(
      `KTO needs at least 2 examples per batch for its KL estimate (got ${chunk}); raise --batch-size`,
    );
  return examples.map((e, i) => {
    const start = i - (i % chunk);
    const size = Math.min(chunk, examples.length - start);
    const other = examples[start + ((i - start + size - 1) % size)] as UnpairedExample;
    return { prompt: e.prompt, chosen: e.completion, rejected: other.completion, desirable: e.desirable };
  });
}

/** Reads a KTO (or preference) JSONL file; errors name the file, the line and the field. */
export async function readKtoRows(path: string, tokenizer?: PairTokenizer): Promise<UnpairedExample[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read (${(error as Error).message})`, { cause: error });
  }
  const examples: UnpairedExample[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${path}:${index + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
    examples.push(...tokenizeKtoRow(row, tokenizer, where));
  });
  if (examples.length === 0) throw new Error(`${path}: no rows`);
  return examples;
}
