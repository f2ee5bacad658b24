// Reverse-mode autodiff: grad(loss, wrt) appends the backward pass to the loss's graph, one rule per op.
import { isFloat } from './dtype';
import type { Node, Tensor } from './graph';
import { add, STOP_GRADIENT } from './ops-elementwise';
import { zerosLike } from './ops-index';
import { formatShape, shapesEqual } from './shape';
import { GRAD_RULES } from './grad-rules';

/**
 * Gradients of a scalar `loss` with respect to each tensor in `wrt`, as new tensors of the same graph.
 * Walks the nodes between `wrt` and `loss` in reverse topological order (node ids are topological, since a
 * node can only use tensors made before it) and applies each op's rule from GRAD_RULES.
 */
export function grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  if (!loss.shape.every((d) => d === 1))
    throw new Error(`grad: loss must be a scalar, got ${formatShape(loss.shape)}`);
  if (!isFloat(loss.dtype)) throw new Error(`grad: loss must be a float tensor, got ${loss.dtype}`);
  return vjp(loss, loss.graph.constant(onesFor(loss), loss.shape as number[]), wrt);
}

/** What a node's gradient flows into: its inputs, or the `wrt` of its custom gradient. */
const targetsOf = (node: Node): readonly Tensor[] => node.gradient?.wrt ?? node.inputs;

/**
 * The vector-Jacobian product seed^T d output / d wrt, walking only the nodes from `fromNode` on (a
 * recomputed layer differentiates its own copy of the layer and nothing before it).
 */
export function vjp(output: Tensor, seed: Tensor, wrt: readonly Tensor[], fromNode = 0): Tensor[] {
  const graph = output.graph;
  if (!shapesEqual(seed.shape, output.shape) || seed.dtype !== output.dtype)
    throw new Error(`grad: seed ${seed} does not match ${output}`);
  for (const w of wrt) {
    if (w.graph !== graph) throw new Error(`grad: ${w.name} belongs to another graph`);
    if (!isFloat(w.dtype))
      throw new Error(`grad: cannot differentiate with respect to ${w.dtype} tensor ${w.name}`);
  }

  // Forward pass over ids: which float tensors depend on any of `wrt`.
  const needs = new Set<Tensor>(wrt);
  for (const node of graph.nodes.slice(fromNode, output.node.id + 1)) {
    if (STOP_GRADIENT.has(node)) continue;
    if (!node.inputs.some((x) => needs.has(x)) && !node.gradient?.wrt.some((x) => needs.has(x))) continue;
    for (const out of node.outputs) if (isFloat(out.dtype)) needs.add(out);
  }

  const grads = new Map<Tensor, Tensor>();
  grads.set(output, seed);
  for (let id = output.node.id; id >= fromNode; id--) {
    const node = graph.nodes[id];
    if (!node || node.leaf) continue;
    const out = node.outputs[0] as Tensor;
    const g = grads.get(out);
    if (!g || !needs.has(out)) continue;
    if (node.outputs.length > 1)
      throw new Error(`grad: ${node.op} has several outputs; no gradient rule handles that`);
    const targets = targetsOf(node);
    let inputGrads: (Tensor | undefined)[];
    if (node.gradient) {
      inputGrads = node.gradient.rule(
        g,
        targets.map((x) => needs.has(x)),
      );
    } else {
      const rule = GRAD_RULES[node.op];
      if (!rule)
        throw new Error(`grad: no gradient rule for op ${node.op} (output ${out}); add one to grad-rules.ts`);
      inputGrads = rule(g, out, node.inputs);
    }
    targets.forEach((x, i) => {
      if (!needs.has(x)) return;
      const gx = inputGrads[i];
      if (!gx) throw new Error(`grad: op ${node.op} has no gradient for its input ${i} (${x})`);
      if (!shapesEqual(gx.shape, x.shape) || gx.dtype !== x.dtype) {
        throw new Error(`grad: rule for ${node.op} returned ${gx} for input ${x}`);
      }
      const previous = grads.get(x);
      grads.set(x, previous ? add(previous, gx) : gx);
    });
  }
  return wrt.map((w) => grads.get(w) ?? zerosLike(w));
}

function onesFor(loss: Tensor): Float32Array | Float64Array | Uint16Array {
  if (loss.dtype === 'float64') return new Float64Array(1).fill(1);
  if (loss.dtype === 'float16') return new Uint16Array(1).fill(0x3c00);
  return new Float32Array(1).fill(1);
}
