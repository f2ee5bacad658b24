// Frozen weights kept in their stored dtype (Graph.weight) made float32 where a graph uses them: BF16 words
// (uint16) by BitCast to bfloat16 then Cast, F16 by Cast, float32 as is. Optionally after a tensor: the
// widened copy then cannot be computed before that tensor exists, so onnxruntime widens layer by layer
// instead of every weight at the start of a run (which holds a float32 copy of the whole model at once).
import { ONNX_DTYPE } from './dtype';
import { int, type Tensor } from './graph';
import { int64s } from './ops-shape';

/** The stored dtype a weight leaf's words mean (`uint16` words are BF16). */
function storedOf(words: Tensor): 'float32' | 'float16' | 'bfloat16' {
  if (words.dtype === 'uint16') return 'bfloat16';
  if (words.dtype === 'float32' || words.dtype === 'float16') return words.dtype;
  throw new Error(`widenWeight: ${words} is not a weight's stored words (float32, float16 or uint16)`);
}

/**
 * `words` (a weight leaf, or rows gathered from one) as float32. With `after`, the result depends on
 * `after` through a zero-cost Reshape whose target shape adds 0 * (dim 0 of `after`): no values flow, and
 * autodiff never follows it (the path is integer shapes and non-float words).
 */
export function widenWeight(words: Tensor, after?: Tensor): Tensor {
  const g = words.graph;
  const stored = storedOf(words);
  let x = words;
  if (after && stored !== 'float32') {
    if (!words.shape.every((d) => typeof d === 'number'))
      throw new Error(`widenWeight: ${words} needs static dims to be ordered after another tensor`);
    const rows = g.apply1('Shape', [after], { start: int(0), end: int(1) }, 'int64', [1]);
    const nothing = g.apply1('Mul', [rows, g.scalar(0, 'int64')], {}, 'int64', [1]);
    const dims = g.apply1('Add', [int64s(g, words.shape as number[]), nothing], {}, 'int64', [words.rank]);
    x = g.apply1('Reshape', [words, dims], {}, words.dtype, words.shape);
  }
  if (stored === 'float32') return x;
  if (stored === 'bfloat16')
    x = g.apply1('BitCast', [x], { to: int(ONNX_DTYPE.bfloat16) }, 'bfloat16', x.shape);
  return g.apply1('Cast', [x], { to: int(ONNX_DTYPE.float32) }, 'float32', x.shape);
}
