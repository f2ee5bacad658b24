// Rank mode's ordering as pure functions: the candidates not yet placed, and a key press (a digit picks the
// n-th remaining one as the best of those left, Backspace takes the last pick back) turned into a new order.

export type RankKeyResult = { kind: 'order'; order: number[] } | { kind: 'submit' } | null;

/** Candidate ids not yet in the order, in their shown order. */
export function remaining(candidateIds: readonly number[], order: readonly number[]): number[] {
  return candidateIds.filter((id) => !order.includes(id));
}

export function rankKey(
  key: string,
  candidateIds: readonly number[],
  order: readonly number[],
): RankKeyResult {
  if (key === 'Backspace') return order.length > 0 ? { kind: 'order', order: order.slice(0, -1) } : null;
  if (key === 'Enter') return order.length === candidateIds.length ? { kind: 'submit' } : null;
  if (!/^[1-9]$/.test(key)) return null;
  const left = remaining(candidateIds, order);
  const picked = left[Number(key) - 1];
  if (picked === undefined) return null;
  const next = [...order, picked];
  // The last one left needs no key: it is the worst.
  const rest = remaining(candidateIds, next);
  return { kind: 'order', order: rest.length === 1 ? [...next, ...rest] : next };
}
