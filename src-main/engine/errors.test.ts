// Construction-time errors name the op and the shapes involved; autodiff fails loudly on a missing rule.
import { describe, expect, it } from 'vitest';
import { grad } from './autodiff';
import { Graph } from './graph';
import { attention } from './nn';
import { add, mul, where } from './ops-elementwise';
import { gather, gatherElements } from './ops-index';
import { matmul, reduceSum } from './ops-reduce';
import { concat, int64s, padZeros, reshape, slice, squeeze, transpose } from './ops-shape';

describe('shape errors', () => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2, 3]);
  const b = g.input('b', 'float32', [4, 5]);

  it('name the op and both shapes', () => {
    expect(() => matmul(a, b)).toThrow('matmul: inner dims differ: [2,3] x [4,5]');
    expect(() => add(a, b)).toThrow('add: shapes do not broadcast: [2,3] and [4,5]');
    expect(() => reshape(a, [4, 2])).toThrow('reshape: cannot reshape [2,3] to [4,2]');
    expect(() => concat([a, b], 0)).toThrow('concat: shapes differ outside axis 0: [2,3] and [4,5]');
    expect(() => transpose(a, [0, 0])).toThrow('transpose: perm [0,0] is not a permutation of rank 2 [2,3]');
    expect(() => squeeze(a, [0])).toThrow('squeeze: dim 0 of [2,3] is not 1');
    expect(() => slice(a, 2, 0)).toThrow('slice: axis 2 is out of range for rank 2');
  });

  it('check dtypes and indices', () => {
    const ids = g.input('ids', 'int64', [2, 1]);
    const c = g.input('c', 'float64', [2, 3]);
    expect(() => mul(a, c)).toThrow('mul: dtypes differ: float32 and float64');
    expect(() => gather(a, a)).toThrow('gather: indices must be int64, got float32');
    expect(() => gatherElements(a, g.input('ids3', 'int64', [3, 1]), 1)).toThrow(
      'gatherElements: indices [3,1] must match x [2,3] outside axis 1',
    );
    expect(() => where(a, a, a)).toThrow('where: condition must be bool, got float32');
    expect(gatherElements(a, ids, 1).shape).toEqual([2, 1]);
  });

  it('attention checks head counts', () => {
    const q = g.input('q', 'float32', [1, 3, 4, 8]);
    const k = g.input('k', 'float32', [1, 2, 4, 8]);
    expect(() => attention(q, k, k)).toThrow('attention: 3 query heads cannot share 2 kv heads');
  });

  it('a symbolic dim does not silently broadcast against a number', () => {
    const x = g.input('x', 'float32', ['batch', 3]);
    expect(() => add(x, b)).toThrow('add: shapes do not broadcast: [batch,3] and [4,5]');
  });
});

describe('autodiff errors', () => {
  it('a missing rule names the op', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    const padded = padZeros(x, int64s(g, [1, 1]), [4]);
    expect(() => grad(reduceSum(padded), [x])).toThrow('grad: no gradient rule for op Pad');
  });

  it('the loss must be a scalar and the wrt tensors float', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    expect(() => grad(x, [x])).toThrow('grad: loss must be a scalar, got [2]');
    expect(() => grad(reduceSum(x), [g.input('i', 'int64', [2])])).toThrow(
      'cannot differentiate with respect to int64',
    );
  });
});
