import { describe, expect, it } from 'vitest';
import { compareKeyAction } from './compare-keys';
import { keyPress } from './key-press-test-support';

const press = (key: string, extra: Parameters<typeof keyPress>[1] = {}) =>
  compareKeyAction(keyPress(key, extra));

describe('compare keys', () => {
  it("votes with the Rate view's keys", () => {
    expect([press('1'), press('a'), press('2'), press('B'), press('t'), press('x')]).toEqual([
      { kind: 'vote', vote: 'left' },
      { kind: 'vote', vote: 'left' },
      { kind: 'vote', vote: 'right' },
      { kind: 'vote', vote: 'right' },
      { kind: 'vote', vote: 'tie' },
      { kind: 'vote', vote: 'both_bad' },
    ]);
    expect(press('!', { code: 'Digit1', shiftKey: true })).toEqual({ kind: 'vote', vote: 'left' });
  });

  it('moves between items with s and the arrows, and ignores repeats, modifiers, fields and other keys', () => {
    expect([press('s'), press('ArrowRight'), press('ArrowLeft')]).toEqual([
      { kind: 'move', by: 1 },
      { kind: 'move', by: 1 },
      { kind: 'move', by: -1 },
    ]);
    expect([
      press('1', { repeat: true }),
      press('1', { ctrlKey: true }),
      press('1', { inTextField: true }),
      press('q'),
      press('u'),
    ]).toEqual([null, null, null, null, null]);
  });
});
