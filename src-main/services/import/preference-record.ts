// One preference row (from JSONL, CSV or Parquet) -> a validated pair, whatever the style: TRL standard or
// conversational with an explicit or implicit prompt, Anthropic HH transcripts, UltraFeedback-binarized.
import { badFile, describeValue } from './bad-file';
import type { PairFormat, ParsedPair, SourceRecord } from './import-types';
import {
  asMessages,
  completionText,
  renderPrompt,
  sharedPrefixLength,
  startsWith,
  type ChatMessage,
} from './messages';

const ASSISTANT_TURN = '\n\nAssistant:';
const HUMAN_TURN = '\n\nHuman:';
const EITHER = 'a string or a list of {role, content} messages';

export interface ParsedPreference {
  pair: ParsedPair;
  format: PairFormat;
}

type Side = { kind: 'text'; text: string } | { kind: 'messages'; messages: ChatMessage[] };
type RawSide = Side | { kind: 'invalid'; value: unknown };

function readSide(where: string, record: Record<string, unknown>, field: string): RawSide {
  const value = record[field];
  if (value === undefined || value === null) throw badFile(where, `field "${field}" is missing`);
  if (typeof value === 'string') return { kind: 'text', text: value };
  const messages = asMessages(value);
  return messages ? { kind: 'messages', messages } : { kind: 'invalid', value };
}

/** A bad side is described by what the other side is: a string, a message list, or either. */
function validSide(where: string, field: string, side: RawSide, other: RawSide): Side {
  if (side.kind !== 'invalid') return side;
  const expected =
    other.kind === 'text'
      ? 'a string'
      : other.kind === 'messages'
        ? 'a list of {role, content} messages'
        : EITHER;
  throw badFile(where, `field "${field}" must be ${expected}, got ${describeValue(side.value)}`);
}

function requireText(where: string, field: string, text: string): string {
  if (text.trim() === '') throw badFile(where, `field "${field}" is empty`);
  return text;
}

function requireCompletion(where: string, field: string, messages: readonly ChatMessage[]): string {
  if (messages.length === 0) throw badFile(where, `field "${field}" has no messages after the prompt`);
  return requireText(where, field, completionText(messages));
}

function isTranscript(text: string): boolean {
  return text.includes(HUMAN_TURN) && text.includes(ASSISTANT_TURN);
}

/** As TRL's extract_anthropic_prompt: the prompt runs up to and including the last "\n\nAssistant:". */
function splitTranscript(text: string): { prompt: string; completion: string } {
  const end = text.lastIndexOf(ASSISTANT_TURN) + ASSISTANT_TURN.length;
  return { prompt: text.slice(0, end), completion: text.slice(end) };
}

/**
 * The turns before the final "\n\nAssistant:" as messages, as TRL's hh-rlhf-helpful-base.py script does:
 * split at each "\n\nHuman: " / "\n\nAssistant: ", Human a user turn, Assistant an assistant turn.
 */
function transcriptMessages(prompt: string): ChatMessage[] {
  const body = prompt.slice(0, prompt.length - ASSISTANT_TURN.length);
  const parts = body.split(/\n\n(Human|Assistant): ?/);
  const messages: ChatMessage[] = [];
  // parts: [text before the first turn, speaker, content, speaker, content, ...]
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const role = parts[i] === 'Human' ? 'user' : 'assistant';
    messages.push({ role, content: parts[i + 1] ?? '' });
  }
  const preamble = parts[0]?.trim() ?? '';
  if (preamble !== '' && messages[0])
    messages[0] = { ...messages[0], content: `${preamble}\n\n${messages[0].content}` };
  return messages;
}

/** The final assistant turn as the response: its text after "Assistant: " (TRL drops the space too). */
function responseText(completion: string): string {
  return completion.startsWith(' ') ? completion.slice(1) : completion;
}

function fromTranscripts(where: string, chosen: string, rejected: string): ParsedPreference {
  const c = splitTranscript(chosen);
  const r = splitTranscript(rejected);
  if (c.prompt !== r.prompt) {
    throw badFile(where, 'fields "chosen" and "rejected" are transcripts of different conversations');
  }
  const promptMessages = transcriptMessages(c.prompt);
  if (promptMessages.length === 0) throw badFile(where, 'field "chosen" has no Human turn before the answer');
  return {
    format: 'anthropic-hh',
    pair: {
      prompt: renderPrompt(promptMessages),
      promptMessages,
      chosen: requireText(where, 'chosen', responseText(c.completion)),
      rejected: requireText(where, 'rejected', responseText(r.completion)),
    },
  };
}

/** Chosen and rejected message lists sharing their leading turns, which are the prompt. */
function fromSharedTurns(where: string, chosen: ChatMessage[], rejected: ChatMessage[]): ParsedPair {
  const shared = sharedPrefixLength(chosen, rejected);
  if (shared === 0) throw badFile(where, 'fields "chosen" and "rejected" share no leading prompt messages');
  const promptMessages = chosen.slice(0, shared);
  return {
    prompt: renderPrompt(promptMessages),
    promptMessages,
    chosen: requireCompletion(where, 'chosen', chosen.slice(shared)),
    rejected: requireCompletion(where, 'rejected', rejected.slice(shared)),
  };
}

function withoutPrompt(where: string, chosen: Side, rejected: Side): ParsedPreference {
  if (chosen.kind === 'messages' && rejected.kind === 'messages') {
    return {
      format: 'trl-conversational-implicit',
      pair: fromSharedTurns(where, chosen.messages, rejected.messages),
    };
  }
  if (
    chosen.kind === 'text' &&
    rejected.kind === 'text' &&
    isTranscript(chosen.text) &&
    isTranscript(rejected.text)
  ) {
    return fromTranscripts(where, chosen.text, rejected.text);
  }
  throw badFile(
    where,
    'field "prompt" is missing (and "chosen"/"rejected" are neither message lists nor Human/Assistant transcripts)',
  );
}

function withTextPrompt(where: string, prompt: string, chosen: Side, rejected: Side): ParsedPreference {
  if (chosen.kind === 'text' && rejected.kind === 'text') {
    const pair = {
      prompt,
      promptMessages: null,
      chosen: requireText(where, 'chosen', chosen.text),
      rejected: requireText(where, 'rejected', rejected.text),
    };
    return { format: 'trl-standard', pair };
  }
  if (chosen.kind === 'messages' && rejected.kind === 'messages') {
    // UltraFeedback-binarized: the prompt string is repeated as the first user turn of both lists.
    if (sharedPrefixLength(chosen.messages, rejected.messages) > 0) {
      const pair = fromSharedTurns(where, chosen.messages, rejected.messages);
      return { format: 'ultrafeedback', pair: { ...pair, prompt } };
    }
    // Otherwise the lists are the completions of a one-turn prompt.
    return withMessagesPrompt(where, [{ role: 'user', content: prompt }], chosen, rejected);
  }
  throw badFile(where, 'fields "chosen" and "rejected" must both be strings or both be message lists');
}

function withMessagesPrompt(
  where: string,
  prompt: ChatMessage[],
  chosen: Side,
  rejected: Side,
): ParsedPreference {
  if (chosen.kind !== 'messages' || rejected.kind !== 'messages') {
    throw badFile(where, 'with a conversational "prompt", "chosen" and "rejected" must be message lists');
  }
  const strip = (messages: ChatMessage[]) =>
    startsWith(messages, prompt) ? messages.slice(prompt.length) : messages;
  return {
    format: 'trl-conversational',
    pair: {
      prompt: renderPrompt(prompt),
      promptMessages: prompt,
      chosen: requireCompletion(where, 'chosen', strip(chosen.messages)),
      rejected: requireCompletion(where, 'rejected', strip(rejected.messages)),
    },
  };
}

function checkScores(where: string, record: Record<string, unknown>): void {
  for (const field of ['score_chosen', 'score_rejected']) {
    const value = record[field];
    if (value !== undefined && value !== null && typeof value !== 'bigint' && !Number.isFinite(value)) {
      throw badFile(where, `field "${field}" must be a number, got ${describeValue(value)}`);
    }
  }
}

export function parsePreferenceRecord({ where, record }: SourceRecord): ParsedPreference {
  const promptValue = record.prompt;
  const rawChosen = readSide(where, record, 'chosen');
  const rawRejected = readSide(where, record, 'rejected');
  const chosen = validSide(where, 'chosen', rawChosen, rawRejected);
  const rejected = validSide(where, 'rejected', rawRejected, rawChosen);
  checkScores(where, record);
  if (promptValue === undefined || promptValue === null) return withoutPrompt(where, chosen, rejected);
  if (typeof promptValue === 'string') return withTextPrompt(where, promptValue, chosen, rejected);
  const promptMessages = asMessages(promptValue);
  if (promptMessages) return withMessagesPrompt(where, promptMessages, chosen, rejected);
  throw badFile(where, `field "prompt" must be ${EITHER}, got ${describeValue(promptValue)}`);
}
