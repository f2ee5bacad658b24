// Chat message lists in imported rows: validation, the shared prompt of chosen and rejected (TRL's
// extract_prompt), and the text a conversational prompt or completion is shown and hashed as.
import type { ChatMessage } from '../../../src-shared/schemas';

export type { ChatMessage };

/** The messages when `value` is a non-empty list of {role, content} strings; null otherwise. */
export function asMessages(value: unknown): ChatMessage[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const messages: ChatMessage[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return null;
    const { role, content } = item as Record<string, unknown>;
    if (typeof role !== 'string' || role === '' || typeof content !== 'string') return null;
    messages.push({ role, content });
  }
  return messages;
}

function sameMessage(a: ChatMessage | undefined, b: ChatMessage | undefined): boolean {
  return a !== undefined && b !== undefined && a.role === b.role && a.content === b.content;
}

/** How many leading messages chosen and rejected share: TRL's extract_prompt on conversational rows. */
export function sharedPrefixLength(chosen: readonly ChatMessage[], rejected: readonly ChatMessage[]): number {
  let index = 0;
  while (index < chosen.length && sameMessage(chosen[index], rejected[index])) index += 1;
  return index;
}

/** Whether `messages` begins with every message of `prefix`. */
export function startsWith(messages: readonly ChatMessage[], prefix: readonly ChatMessage[]): boolean {
  return prefix.length <= messages.length && prefix.every((message, i) => sameMessage(message, messages[i]));
}

/** A lone user turn is its content; a longer conversation is `role: content` blocks. */
export function renderPrompt(messages: readonly ChatMessage[]): string {
  const [only] = messages;
  if (messages.length === 1 && only?.role === 'user') return only.content;
  return messages.map((message) => `${message.role}: ${message.content}`).join('\n\n');
}

/** A completion is usually one assistant turn; several turns are joined by blank lines. */
export function completionText(messages: readonly ChatMessage[]): string {
  return messages.map((message) => message.content).join('\n\n');
}

/** The conversational prompt to export for a stored prompt: its messages, or one user turn. */
export function promptMessagesOf(text: string, messages: readonly ChatMessage[] | null): ChatMessage[] {
  return messages ? [...messages] : [{ role: 'user', content: text }];
}
