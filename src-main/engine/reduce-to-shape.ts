// The one place where numpy broadcasting is undone in the backward pass.
import type { Tensor } from './graph';
import { reduceSum } from './ops-reduce';
import { formatShape, shapesEqual, type Dim, type Shape } from './shape';

/**
 * Undo numpy broadcasting: sum `g` over the dims that were added or stretched from 1 to reach its shape.
 * This is the one place where broadcasting is undone; every rule of a broadcasting op calls it.
 */
export function reduceToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0)
    throw new Error(`reduceToShape: ${formatShape(g.shape)} has fewer dims than ${formatShape(shape)}`);
  const stretched: number[] = [];
  shape.forEach((d: Dim, i) => {
    if (d === 1 && g.shape[i + lead] !== 1) stretched.push(i + lead);
  });
  let out = stretched.length > 0 ? reduceSum(g, stretched, true) : g;
  if (lead > 0) out = reduceSum(out, [...Array(lead).keys()], false);
  if (!shapesEqual(out.shape, shape)) {
    throw new Error(`reduceToShape: cannot reduce ${formatShape(g.shape)} to ${formatShape(shape)}`);
  }
  return out;
}
