// TRL preference rows (text, conversational or pre-tokenized) -> token examples, and examples -> one
// `[chosen; rejected]` batch: right-padded ids, attention mask, next-token targets and a completion mask.
import { readFile } from 'node:fs/promises';
import type { ChatMessage, ModelTokenizer } from '../models/index';

/** One preference pair as token ids; the sequence scored is prompt + completion. */
export interface PairExample {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  /** The pair's weight in the loss when a run uses pair weights (dataset_pairs.weight); default 1. */
  weight?: number;
  /**
   * KTO examples reuse the two-row layout: `chosen` is the example's completion, `rejected` its mismatched
   * completion (another example's, for the KL estimate), and this its label (kto-data.ts).
   */
  desirable?: boolean;
}

/**
 * The tokenizer part a text row needs. Text rows follow TRL's DPOTrainer.tokenize_row for decoder-only
 * models: prompt and completions encoded WITHOUT special tokens (a chat template writes its own), then the
 * eos token appended to each completion. Pre-tokenized rows are used exactly as given.
 */
export type PairTokenizer = Pick<ModelTokenizer, 'encode' | 'applyChatTemplate' | 'eosTokenIds'> &
  Partial<Pick<ModelTokenizer, 'hasThinkingSwitch'>>;

/** Qwen3's thinking switch off, as generation renders the prompts it samples (onnx-decoder.ts). */
const thinkingOff = (tokenizer: PairTokenizer): { enableThinking?: boolean } =>
  tokenizer.hasThinkingSwitch ? { enableThinking: false } : {};

const ID_FIELDS = [
  ['prompt_input_ids', 'chosen_input_ids', 'rejected_input_ids'],
  ['prompt_ids', 'chosen_ids', 'rejected_ids'],
] as const;

function isMessageList(value: unknown): value is ChatMessage[] {
  return (
    Array.isArray(value) &&
    value.every(
      (m) =>
        typeof m === 'object' &&
        m !== null &&
        typeof (m as ChatMessage).role === 'string' &&
        typeof (m as ChatMessage).content === 'string',
    )
  );
}

function tokenIds(row: Record<string, unknown>, field: string, where: string, allowEmpty: boolean): number[] {
  const value = row[field];
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && (v as number) >= 0))
    throw new Error(`${where}: field ${field} must be a list of non-negative integer token ids`);
  if (!allowEmpty && value.length === 0) throw new Error(`${where}: field ${field} is empty`);
  return value as number[];
}

/** The text of the assistant turn(s) after the prompt, as TRL's maybe_apply_chat_template cuts it out. */
function completionText(
  tokenizer: PairTokenizer,
  prompt: ChatMessage[],
  completion: ChatMessage[],
  promptText: string,
  where: string,
): string {
  const full = tokenizer.applyChatTemplate([...prompt, ...completion], thinkingOff(tokenizer));
  if (!full.startsWith(promptText))
    throw new Error(`${where}: the chat template's prompt is not a prefix of prompt + completion`);
  return full.slice(promptText.length);
}

/** The optional `weight` field (our extension; used only with pair weights on). */
function pairWeight(row: Record<string, unknown>, where: string): { weight?: number } {
  if (row.weight === undefined || row.weight === null) return {};
  if (typeof row.weight !== 'number' || !Number.isFinite(row.weight) || row.weight < 0)
    throw new Error(`${where}: field weight must be a number >= 0`);
  return { weight: row.weight };
}

/** One PAIRS.jsonl row -> token ids; `where` (file:line) starts every error message. */
export function tokenizeRow(row: unknown, tokenizer: PairTokenizer | undefined, where: string): PairExample {
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    throw new Error(`${where}: a row must be a JSON object`);
  const r = row as Record<string, unknown>;
  const weight = pairWeight(r, where);
  const fields = ID_FIELDS.find(([p]) => p in r);
  if (fields) {
    return {
      prompt: tokenIds(r, fields[0], where, true),
      chosen: tokenIds(r, fields[1], where, false),
      rejected: tokenIds(r, fields[2], where, false),
      ...weight,
    };
  }
  for (const field of ['prompt', 'chosen', 'rejected'])
    if (!(field in r))
      throw new Error(`${where}: field ${field} is missing (or give prompt_input_ids/chosen_input_ids/...)`);
  if (!tokenizer)
    throw new Error(`${where}: a text row needs the model's tokenizer.json (pre-tokenized rows do not)`);
  const eos = tokenizer.eosTokenIds[0];
  if (eos === undefined) throw new Error(`${where}: the tokenizer has no eos token to end a completion`);
  const encode = (text: string): number[] => tokenizer.encode(text, { addSpecialTokens: false });
  if (typeof r.prompt === 'string') {
    for (const field of ['chosen', 'rejected'] as const)
      if (typeof r[field] !== 'string') throw new Error(`${where}: field ${field} must be a string`);
    return {
      prompt: encode(r.prompt),
      chosen: [...encode(r.chosen as string), eos],
      rejected: [...encode(r.rejected as string), eos],
      ...weight,
    };
  }
  for (const field of ['prompt', 'chosen', 'rejected'])
    if (!isMessageList(r[field]))
      throw new Error(`${where}: field ${field} must be a string or a list of {role, content} messages`);
  const prompt = r.prompt as ChatMessage[];
  const promptText = tokenizer.applyChatTemplate(prompt, {
    addGenerationPrompt: true,
    ...thinkingOff(tokenizer),
  });
  const completion = (field: 'chosen' | 'rejected'): number[] => [
    ...encode(completionText(tokenizer, prompt, r[field] as ChatMessage[], promptText, `${where}: ${field}`)),
    eos,
  ];
  return {
    prompt: encode(promptText),
    chosen: completion('chosen'),
    rejected: completion('rejected'),
    ...weight,
  };
}

/** Reads PAIRS.jsonl (blank lines skipped); errors name the file, the line and the field. */
export async function readPairs(path: string, tokenizer?: PairTokenizer): Promise<PairExample[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read (${(error as Error).message})`, { cause: error });
  }
  const examples: PairExample[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${path}:${index + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
    examples.push(tokenizeRow(row, tokenizer, where));
  });
  if (examples.length === 0) throw new Error(`${path}: no rows`);
  return examples;
}

/** True when any row is text (so the caller must load the tokenizer). */
export async function pairsNeedTokenizer(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').some((line) => {
    if (line.trim() === '') return false;
    try {
      const row = JSON.parse(line) as Record<string, unknown>;
      return !ID_FIELDS.some(([p]) => typeof row === 'object' && row !== null && p in row);
    } catch {
      return false;
    }
  });
}

export interface CollateOptions {
  /** Written in padded positions (masked out everywhere); default 0. */
  padTokenId?: number;
  /**
   * Keep at most this many tokens of prompt + completion per sequence. As TRL's truncation_mode
   * 'keep_start' (its default since 1.7; 'keep_end' is deprecated), each sequence keeps its FIRST maxLength
   * tokens: the completion loses its end, and a prompt of maxLength tokens or more leaves no completion.
   */
  maxLength?: number;
}

/** A `[chosen; rejected]` batch: rows 0..B-1 are the chosen sequences, rows B..2B-1 the rejected ones. */
export interface PairBatch {
  pairs: number;
  /** [2B, T] */
  dims: [number, number];
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** targets[r, t] = inputIds[r, t+1] (pad at the last position and in padding). */
  targets: BigInt64Array;
  /** 1 where targets[r, t] is a completion token, so sum(token_logprobs * mask) = log p(completion). */
  completionMask: Float32Array;
  /** Completion tokens per row [2B] (after truncation). */
  completionTokens: number[];
  /** Real (non-pad) tokens in the batch, for tokens/s. */
  tokens: number;
}

/**
 * prompt + completion as collate scores it: at most maxLength tokens, the start kept (TRL's keep_start: its
 * DPOTrainer flushes each row left and keeps input_ids[:, :max_length]; see CollateOptions).
 */
export function truncatePair(
  prompt: readonly number[],
  completion: readonly number[],
  maxLength: number | undefined,
): { ids: number[]; promptLength: number } {
  const ids = [...prompt, ...completion];
  if (maxLength === undefined || ids.length <= maxLength) return { ids, promptLength: prompt.length };
  return { ids: ids.slice(0, maxLength), promptLength: Math.min(prompt.length, maxLength) };
}

export function collatePairs(examples: readonly PairExample[], options: CollateOptions = {}): PairBatch {
  const pad = BigInt(options.padTokenId ?? 0);
  const rows = [
    ...examples.map((e) => truncatePair(e.prompt, e.chosen, options.maxLength)),
    ...examples.map((e) => truncatePair(e.prompt, e.rejected, options.maxLength)),
  ];
  const width = Math.max(...rows.map((r) => r.ids.length));
  const n = rows.length * width;
  const batch: PairBatch = {
    pairs: examples.length,
    dims: [rows.length, width],
    inputIds: new BigInt64Array(n).fill(pad),
    attentionMask: new BigInt64Array(n),
    targets: new BigInt64Array(n).fill(pad),
    completionMask: new Float32Array(n),
    completionTokens: [],
    tokens: 0,
  };
  rows.forEach(({ ids, promptLength }, r) => {
    const at = r * width;
    ids.forEach((id, t) => {
      batch.inputIds[at + t] = BigInt(id);
      batch.attentionMask[at + t] = 1n;
      if (t > 0) batch.targets[at + t - 1] = BigInt(id);
      // Position t-1 predicts token t; completion tokens are t >= promptLength (t >= 1: a first token has no context).
      if (t > 0 && t >= promptLength) batch.completionMask[at + t - 1] = 1;
    });
    batch.completionTokens.push(ids.length - Math.max(1, promptLength));
    batch.tokens += ids.length;
  });
  return batch;
}
