// The deterministic train/eval split: a hash of the seed and the prompt text, so every pair of one prompt
// lands on the same side and a rebuild with the same seed gives the same split.
import { createHash } from 'node:crypto';
import type { Split } from '../../../src-shared/labeling-schemas';

/** A number in [0, 1) fixed by the seed and the prompt. */
export function promptUnit(promptText: string, seed: number): number {
  const digest = createHash('sha256').update(`${seed}\u0000${promptText}`, 'utf8').digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

export function splitOf(promptText: string, seed: number, evalFraction: number): Split {
  return evalFraction > 0 && promptUnit(promptText, seed) < evalFraction ? 'eval' : 'train';
}
