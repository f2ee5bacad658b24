// The deterministic train/eval split. Its unit is the prompt: every pair of one prompt lands on the same
// side, so no prompt is seen in training and judged in eval. Prompts are taken in an order fixed by a hash
// of the seed and the prompt text, and go to eval while they fit the eval share of pairs; a prompt that
// would put every rated pair in eval stays in training, so a first session's ratings are always trained on.
import { createHash } from 'node:crypto';
import type { Split } from '../../../src-shared/labeling-schemas';

/** A number in [0, 1) fixed by the seed and the prompt. */
export function promptUnit(promptText: string, seed: number): number {
  const digest = createHash('sha256').update(`${seed}\u0000${promptText}`, 'utf8').digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** One prompt of a dataset: how many of its pairs the dataset holds, and how many of those come from ratings. */
export interface PromptGroup {
  promptText: string;
  pairs: number;
  rated: number;
}

/** The eval share in pairs: the fraction rounded, at least one pair when asked for any, never every pair. */
export function evalTarget(totalPairs: number, evalFraction: number): number {
  if (evalFraction <= 0 || totalPairs < 2) return 0;
  return Math.min(totalPairs - 1, Math.max(1, Math.round(evalFraction * totalPairs)));
}

/** The side of each prompt (by text); prompts not in the map are on train. */
export function assignSplits(
  groups: readonly PromptGroup[],
  seed: number,
  evalFraction: number,
): Map<string, Split> {
  const sides = new Map<string, Split>(groups.map((group) => [group.promptText, 'train']));
  const total = groups.reduce((sum, group) => sum + group.pairs, 0);
  const ratedTotal = groups.reduce((sum, group) => sum + group.rated, 0);
  const target = evalTarget(total, evalFraction);
  const ordered = groups
    .map((group) => ({ group, unit: promptUnit(group.promptText, seed) }))
    .sort((x, y) => x.unit - y.unit || (x.group.promptText < y.group.promptText ? -1 : 1));
  let evalPairs = 0;
  let evalRated = 0;
  for (const { group } of ordered) {
    if (evalPairs >= target) break;
    if (evalPairs + group.pairs > target) continue;
    if (group.rated > 0 && evalRated + group.rated >= ratedTotal) continue;
    sides.set(group.promptText, 'eval');
    evalPairs += group.pairs;
    evalRated += group.rated;
  }
  return sides;
}

/** Groups rows by prompt text and assigns their sides; `rated` tells a row from a rating. */
export function splitRows<T>(
  rows: readonly T[],
  promptOf: (row: T) => string,
  rated: (row: T) => boolean,
  seed: number,
  evalFraction: number,
): Split[] {
  const groups = new Map<string, PromptGroup>();
  for (const row of rows) {
    const promptText = promptOf(row);
    const group = groups.get(promptText) ?? { promptText, pairs: 0, rated: 0 };
    group.pairs += 1;
    if (rated(row)) group.rated += 1;
    groups.set(promptText, group);
  }
  const sides = assignSplits([...groups.values()], seed, evalFraction);
  return rows.map((row) => sides.get(promptOf(row)) ?? 'train');
}
