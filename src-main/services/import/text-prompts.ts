// A plain-text prompt list: one line, one prompt, as the Generate view and the docs say; blank lines are
// left out and never join lines. A prompt that spans lines goes in a .jsonl file ({"prompt": ...}).
import type { ParsedPrompt } from './import-types';

export function readTextPrompts(text: string): ParsedPrompt[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r\n?|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => ({ text: line, messages: null }));
}
