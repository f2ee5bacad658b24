// The Rate view's keyboard map as a pure function: a key press in, the action it means out (or null).
// Kept free of the DOM so every key, Shift, and the typing-in-a-field rule are unit-tested.
import type { ScreenChoice, Strength } from '../../../src-shared/schemas';

export type RateKeyPress = {
  /** KeyboardEvent.key: the character typed, layout-aware ('a', 'A', '?', 'Escape'). */
  key: string;
  /** KeyboardEvent.code: the physical key ('Digit1'); Shift+1 types '!' so digits are read from here. */
  code: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Held-down auto-repeat: never turned into actions, so holding a key cannot rate a run of pairs. */
  repeat: boolean;
  /** Focus is in a text field (the note): keys are typing there, only Escape means something. */
  inTextField: boolean;
};

export type RateAction =
  | { kind: 'choose'; choice: ScreenChoice; strong: boolean }
  | { kind: 'setStrength'; strength: Strength }
  | { kind: 'undo' }
  | { kind: 'focusNote' }
  | { kind: 'leaveNote' }
  | { kind: 'toggleHelp' }
  | { kind: 'toggleMarkdown' }
  | { kind: 'toggleDiff' }
  | { kind: 'closeHelp' };

const CHOICE_BY_LETTER: Readonly<Record<string, ScreenChoice>> = {
  '1': 'left',
  '2': 'right',
  a: 'left',
  b: 'right',
  t: 'tie',
  x: 'both_bad',
  s: 'skip',
};

const CHOICE_BY_CODE: Readonly<Record<string, ScreenChoice>> = {
  // Digits by physical key, so Shift+1 (which types '!') and layouts like AZERTY still choose.
  Digit1: 'left',
  Numpad1: 'left',
  Digit2: 'right',
  Numpad2: 'right',
};

const STRENGTH_BY_LETTER: Readonly<Record<string, Strength>> = { q: 1, w: 2, e: 3 };

export function rateKeyAction(press: RateKeyPress): RateAction | null {
  if (press.repeat || press.ctrlKey || press.metaKey || press.altKey) return null;
  if (press.inTextField) return press.key === 'Escape' ? { kind: 'leaveNote' } : null;
  if (press.key === 'Escape') return { kind: 'closeHelp' };
  if (press.key === '?') return { kind: 'toggleHelp' };

  const letter = press.key.length === 1 ? press.key.toLowerCase() : '';
  const choice = CHOICE_BY_CODE[press.code] ?? CHOICE_BY_LETTER[letter];
  // Shift only strengthens a preference; on tie, both-bad and skip the session sends no strength at all.
  if (choice) return { kind: 'choose', choice, strong: press.shiftKey };
  const strength = STRENGTH_BY_LETTER[letter];
  if (strength) return { kind: 'setStrength', strength };
  if (letter === 'u') return { kind: 'undo' };
  if (letter === 'n') return { kind: 'focusNote' };
  if (letter === 'm') return { kind: 'toggleMarkdown' };
  if (letter === 'd') return { kind: 'toggleDiff' };
  return null;
}

/** Whether focus sits where keys type text, so shortcuts must stay out of the way. */
export function isTextField(target: EventTarget | null): boolean {
  if (typeof HTMLElement === 'undefined' || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  return !['button', 'checkbox', 'radio', 'file', 'submit', 'reset', 'range', 'color'].includes(target.type);
}

/** A keydown event as the key maps read it. */
export function keyPressOf(event: KeyboardEvent): RateKeyPress {
  return {
    key: event.key,
    code: event.code,
    shiftKey: event.shiftKey,
    ctrlKey: event.ctrlKey,
    metaKey: event.metaKey,
    altKey: event.altKey,
    repeat: event.repeat,
    inTextField: isTextField(event.target),
  };
}
