// A plain-text prompt list: one prompt per line, or, when the file has blank lines, one prompt per
// blank-line-separated block (so prompts may span several lines).
import type { ParsedPrompt } from './import-types';

export function readTextPrompts(text: string): ParsedPrompt[] {
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const chunks = /\n[ \t]*\n/.test(normalised.trim())
    ? normalised.split(/\n[ \t]*\n/)
    : normalised.split('\n');
  return chunks
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk !== '')
    .map((chunk) => ({ text: chunk, messages: null }));
}
