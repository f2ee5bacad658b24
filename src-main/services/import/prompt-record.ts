// One prompt-only row (JSONL, CSV or Parquet): a `prompt` (string or messages) or a `messages` list.
import { badFile, describeValue } from './bad-file';
import type { ParsedPrompt, SourceRecord } from './import-types';
import { asMessages, renderPrompt } from './messages';

export function parsePromptRecord({ where, record }: SourceRecord): ParsedPrompt {
  const field = record.prompt !== undefined && record.prompt !== null ? 'prompt' : 'messages';
  const value = record[field];
  if (value === undefined || value === null)
    throw badFile(where, 'field "prompt" (or "messages") is missing');
  if (typeof value === 'string') {
    if (value.trim() === '') throw badFile(where, `field "${field}" is empty`);
    return { text: value, messages: null };
  }
  const messages = asMessages(value);
  if (!messages) {
    throw badFile(
      where,
      `field "${field}" must be a string or a list of {role, content} messages, got ${describeValue(value)}`,
    );
  }
  return { text: renderPrompt(messages), messages };
}
