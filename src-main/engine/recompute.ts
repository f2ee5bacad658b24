// Activation recomputation (gradient checkpointing, Chen et al. 2016): a block's forward nodes run once and
// keep nothing for the backward pass; its backward recomputes the block from its input and differentiates
// that copy. The copy waits for the incoming gradient, so it runs during the backward pass, one block at a
// time, and its input differs from the original (x + 0 * g), so no optimizer merges it with the original.
import { isFloat } from './dtype';
import type { Tensor } from './graph';
import { vjp } from './autodiff';
import { add, mul } from './ops-elementwise';
import { slice } from './ops-shape';

/**
 * `build(x)` with its backward pass recomputed: the result's gradient flows to x and to every float tensor
 * made before the block that the block uses (LoRA weights, say) exactly as without recomputation.
 */
export function recomputed(x: Tensor, build: (x: Tensor) => Tensor): Tensor {
  const graph = x.graph;
  const start = graph.nodes.length;
  const y = build(x);
  const segment = graph.nodes.slice(start).filter((n) => !n.leaf);
  if (segment.some((n) => n.gradient)) throw new Error('recomputed: blocks cannot nest custom gradients');
  const made = new Set(segment.flatMap((n) => n.outputs));
  const external = [
    ...new Set(segment.flatMap((n) => n.inputs).filter((t) => !made.has(t) && isFloat(t.dtype))),
  ].filter((t) => t.node.leaf?.kind !== 'constant');
  if (!external.includes(x)) throw new Error('recomputed: the block does not use its input');

  return graph.withGradient(y, {
    wrt: external,
    rule: (g, needed) => {
      const from = graph.nodes.length;
      // One element of g, times 0, added to x: the copy depends on g (so it runs in the backward pass).
      const copies = new Map<Tensor, Tensor>([[x, add(x, mul(firstElement(g), 0))]]);
      const wanted = external.filter((_, i) => needed[i]);
      const differentiated = new Set(wanted);
      for (const node of segment) {
        // Only what depends on x or on a tensor being differentiated is recomputed; the rest (transposed
        // frozen weights, say) is shared with the original.
        if (!node.inputs.some((t) => copies.has(t) || differentiated.has(t))) continue;
        const inputs = node.inputs.map((t) => copies.get(t) ?? t);
        const outs = graph.apply(
          node.op,
          inputs,
          { ...node.attrs },
          node.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape })),
        );
        node.outputs.forEach((o, i) => copies.set(o, outs[i] as Tensor));
      }
      const copy = copies.get(y);
      if (!copy) throw new Error('recomputed: the block output does not depend on its input');
      const grads = vjp(copy, g, wanted, from);
      // The input's gradient waits for the block's other gradients (+ 0 * one element of each), so the
      // block's recomputed values are used up and freed before the block below starts its own.
      const at = wanted.indexOf(x);
      const others = grads.filter((_, i) => i !== at).map(firstElement);
      if (at >= 0 && others.length > 0)
        grads[at] = add(
          grads[at] as Tensor,
          mul(
            others.reduce((a, b) => add(a, b)),
            0,
          ),
        );
      return external.map((t) => (needed[external.indexOf(t)] ? grads[wanted.indexOf(t)] : undefined));
    },
  });
}

/** x[0, ..., 0] keeping x's rank (1, ..., 1): a data dependency that costs nothing. */
function firstElement(x: Tensor): Tensor {
  let first = x;
  for (let axis = 0; axis < x.rank; axis++) first = slice(first, axis, 0, 1);
  return first;
}
