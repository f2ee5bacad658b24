// Test helper for the keyboard maps (rate-keys, compare-keys): a key press as KeyboardEvent would report it.
import type { RateKeyPress } from './rate-keys';

/** `key` pressed alone (digits and letters get their physical `code`), with `extra` overriding any field. */
export function keyPress(key: string, extra: Partial<RateKeyPress> = {}): RateKeyPress {
  const code = /^[0-9]$/.test(key) ? `Digit${key}` : /^[a-z]$/i.test(key) ? `Key${key.toUpperCase()}` : '';
  return {
    key,
    code,
    shiftKey: false,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    repeat: false,
    inTextField: false,
    ...extra,
  };
}
