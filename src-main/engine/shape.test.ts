// Symbolic dim arithmetic and broadcasting rules.
import { describe, expect, it } from 'vitest';
import { addDims, broadcastShapes, canonicalDim, divDims, dimsEqual, mulDims, numel } from './shape';

describe('symbolic dims', () => {
  it('canonicalizes sums and products', () => {
    expect(canonicalDim('seq-1+1')).toBe('seq');
    expect(dimsEqual('past+seq', 'seq+past')).toBe(true);
    expect(dimsEqual('seq*batch', 'batch*seq')).toBe(true);
    expect(canonicalDim('2*3')).toBe(6);
    expect(addDims('seq', -1)).toBe('seq-1');
    expect(mulDims('batch', 'seq+1')).toBe('batch+batch*seq');
    expect(numel(['batch', 'seq', 4])).toBe('4*batch*seq');
  });

  it('divides exactly or not at all', () => {
    expect(divDims('4*batch*seq', 4)).toBe('batch*seq');
    expect(divDims('4*batch*seq', 'batch')).toBe('4*seq');
    expect(divDims('batch*seq', 'seq+1')).toBeUndefined();
    expect(divDims(6, 4)).toBeUndefined();
  });

  it('broadcasts symbols only with 1 and themselves, naming the op and both shapes otherwise', () => {
    expect(broadcastShapes('add', ['batch', 1, 3], ['seq', 1])).toEqual(['batch', 'seq', 3]);
    expect(() => broadcastShapes('add', ['batch', 3], [5, 3])).toThrow(
      'add: shapes do not broadcast: [batch,3] and [5,3]',
    );
  });
});
