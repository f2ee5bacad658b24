// Unit tests for the Rate view's keyboard map: every key, Shift for strong, and silence while typing a note.
import { describe, expect, it } from 'vitest';
import { RESERVED_RATING_KEYS } from '../../../src-shared/labeling-schemas';
import { keyPress as press } from './key-press-test-support';
import { rateKeyAction } from './rate-keys';

describe('rateKeyAction', () => {
  it('uses exactly the keys reason tags may not take', () => {
    const reserved = new Set<string>(RESERVED_RATING_KEYS);
    for (const key of [...'abcdefghijklmnopqrstuvwxyz0123456789?']) {
      expect([key, rateKeyAction(press(key)) !== null]).toEqual([key, reserved.has(key)]);
    }
  });

  it('M and D toggle markdown and the difference highlight, but not while typing a note', () => {
    expect(rateKeyAction(press('m'))).toEqual({ kind: 'toggleMarkdown' });
    expect(rateKeyAction(press('D'))).toEqual({ kind: 'toggleDiff' });
    expect(rateKeyAction(press('d', { inTextField: true }))).toBeNull();
  });

  it.each([
    ['1', 'left'],
    ['a', 'left'],
    ['2', 'right'],
    ['b', 'right'],
    ['t', 'tie'],
    ['x', 'both_bad'],
    ['s', 'skip'],
  ] as const)('%s chooses %s at the pending strength', (key, choice) => {
    expect(rateKeyAction(press(key))).toEqual({ kind: 'choose', choice, strong: false });
  });

  it('reads letters case-insensitively (Caps Lock)', () => {
    expect(rateKeyAction(press('A'))).toEqual({ kind: 'choose', choice: 'left', strong: false });
    expect(rateKeyAction(press('T'))).toEqual({ kind: 'choose', choice: 'tie', strong: false });
  });

  it('Shift+choice is strong, including Shift+1 and Shift+2 which type ! and @', () => {
    expect(rateKeyAction(press('!', { code: 'Digit1', shiftKey: true }))).toEqual({
      kind: 'choose',
      choice: 'left',
      strong: true,
    });
    expect(rateKeyAction(press('@', { code: 'Digit2', shiftKey: true }))).toEqual({
      kind: 'choose',
      choice: 'right',
      strong: true,
    });
    expect(rateKeyAction(press('A', { shiftKey: true }))).toEqual({
      kind: 'choose',
      choice: 'left',
      strong: true,
    });
    expect(rateKeyAction(press('B', { shiftKey: true }))).toEqual({
      kind: 'choose',
      choice: 'right',
      strong: true,
    });
  });

  it('reads digits from the physical key on layouts where 1 types something else', () => {
    expect(rateKeyAction(press('&', { code: 'Digit1' }))).toEqual({
      kind: 'choose',
      choice: 'left',
      strong: false,
    });
    expect(rateKeyAction(press('2', { code: 'Numpad2' }))).toEqual({
      kind: 'choose',
      choice: 'right',
      strong: false,
    });
  });

  it.each([
    ['q', 1],
    ['w', 2],
    ['e', 3],
  ] as const)('%s sets the coming strength to %i', (key, strength) => {
    expect(rateKeyAction(press(key))).toEqual({ kind: 'setStrength', strength });
  });

  it('maps undo, note, help and Escape', () => {
    expect(rateKeyAction(press('u'))).toEqual({ kind: 'undo' });
    expect(rateKeyAction(press('U', { shiftKey: true }))).toEqual({ kind: 'undo' });
    expect(rateKeyAction(press('n'))).toEqual({ kind: 'focusNote' });
    expect(rateKeyAction(press('?', { code: 'Slash', shiftKey: true }))).toEqual({ kind: 'toggleHelp' });
    expect(rateKeyAction(press('Escape', { code: 'Escape' }))).toEqual({ kind: 'closeHelp' });
  });

  it('ignores every shortcut while typing in the note, except Escape which leaves it', () => {
    for (const key of ['1', '2', 'a', 'b', 't', 'x', 's', 'u', 'n', 'q', 'w', 'e', '?', 'A']) {
      expect(rateKeyAction(press(key, { inTextField: true }))).toBeNull();
    }
    expect(rateKeyAction(press('!', { code: 'Digit1', shiftKey: true, inTextField: true }))).toBeNull();
    expect(rateKeyAction(press('Escape', { code: 'Escape', inTextField: true }))).toEqual({
      kind: 'leaveNote',
    });
  });

  it('leaves browser and system shortcuts alone', () => {
    expect(rateKeyAction(press('a', { ctrlKey: true }))).toBeNull();
    expect(rateKeyAction(press('1', { metaKey: true }))).toBeNull();
    expect(rateKeyAction(press('s', { altKey: true }))).toBeNull();
  });

  it('ignores auto-repeat so holding a key cannot rate several pairs', () => {
    expect(rateKeyAction(press('1', { repeat: true }))).toBeNull();
    expect(rateKeyAction(press('u', { repeat: true }))).toBeNull();
  });

  it('ignores keys without a meaning', () => {
    for (const key of ['3', 'c', 'z', 'Enter', ' ', 'ArrowDown', 'Tab', 'F5']) {
      expect(rateKeyAction(press(key))).toBeNull();
    }
  });
});
