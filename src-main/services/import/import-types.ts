// What every importer produces: validated preference pairs or prompts, named by the detected row format,
// before anything is stored.
import type { ChatMessage } from './messages';

export type PairFormat =
  'trl-standard' | 'trl-conversational' | 'trl-conversational-implicit' | 'anthropic-hh' | 'ultrafeedback';

export interface ParsedPair {
  prompt: string;
  /** Kept for conversational prompts (stored in prompts.messages_json). */
  promptMessages: ChatMessage[] | null;
  chosen: string;
  rejected: string;
}

export interface ParsedPrompt {
  text: string;
  messages: ChatMessage[] | null;
}

export type ParsedImport =
  | { kind: 'pairs'; format: string; pairs: ParsedPair[] }
  | { kind: 'prompts'; format: string; prompts: ParsedPrompt[] };

/** An object row from JSONL, CSV or Parquet, with where it came from for error messages. */
export interface SourceRecord {
  where: string;
  record: Record<string, unknown>;
}
