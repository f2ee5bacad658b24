// The Compare view's keys, read through the Rate view's map (lib/rate-keys.ts) so the same keys mean the
// same thing: 1/a left better, 2/b right better, t tie, x both bad; s (skip) and the arrows move between items.
import type { CompareVote } from '../../../src-shared/compare-schemas';
import { rateKeyAction, type RateKeyPress } from './rate-keys';

export type CompareAction = { kind: 'vote'; vote: CompareVote } | { kind: 'move'; by: 1 | -1 };

export function compareKeyAction(press: RateKeyPress): CompareAction | null {
  if (press.repeat || press.ctrlKey || press.metaKey || press.altKey || press.inTextField) return null;
  if (press.key === 'ArrowRight' || press.key === 'ArrowDown') return { kind: 'move', by: 1 };
  if (press.key === 'ArrowLeft' || press.key === 'ArrowUp') return { kind: 'move', by: -1 };
  const action = rateKeyAction(press);
  if (action?.kind !== 'choose') return null;
  // Shift only strengthens a rating; a comparison vote has no strength, so Shift+1 is still "left".
  if (action.choice === 'skip') return { kind: 'move', by: 1 };
  return { kind: 'vote', vote: action.choice };
}
