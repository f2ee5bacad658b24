// Rank mode's keys: digits pick among the remaining candidates, Backspace takes back, Enter submits.
import { describe, expect, it } from 'vitest';
import { rankKey, remaining } from './rank-order';

const ids = [10, 20, 30, 40];

describe('rankKey', () => {
  it('picks the n-th remaining candidate', () => {
    expect(rankKey('2', ids, [])).toEqual({ kind: 'order', order: [20] });
    expect(rankKey('2', ids, [20])).toEqual({ kind: 'order', order: [20, 30] });
  });

  it('places the last candidate by itself', () => {
    expect(rankKey('1', ids, [40, 30])).toEqual({ kind: 'order', order: [40, 30, 10, 20] });
  });

  it('takes back the last pick and ignores keys out of range', () => {
    expect(rankKey('Backspace', ids, [40, 30])).toEqual({ kind: 'order', order: [40] });
    expect(rankKey('Backspace', ids, [])).toBeNull();
    expect(rankKey('4', ids, [10])).toBeNull();
    expect(rankKey('x', ids, [])).toBeNull();
  });

  it('submits only a complete order', () => {
    expect(rankKey('Enter', ids, [10])).toBeNull();
    expect(rankKey('Enter', ids, [10, 20, 30, 40])).toEqual({ kind: 'submit' });
  });

  it('lists what is left in shown order', () => {
    expect(remaining(ids, [30, 10])).toEqual([20, 40]);
  });
});
