// Win rate of one model over another from blind votes, with a 95% Wilson score interval
// (Wilson 1927; Agresti & Coull 1998): better behaved than the normal interval for small n and p near 0 or 1.

export interface VoteCounts {
  /** The candidate model's output was judged better. */
  wins: number;
  /** The reference model's output was judged better. */
  losses: number;
  /** Judged equally good. */
  ties: number;
  /** Judged equally bad. */
  bothBad: number;
}

export interface WinRate {
  /** Votes that count: all but none (every vote counts; ties and both-bad count half a win). */
  n: number;
  rate: number;
  low: number;
  high: number;
}

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

export function wilsonInterval(successes: number, n: number, z = Z95): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const margin = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, center - margin), high: Math.min(1, center + margin) };
}

/**
 * Ties and both-bad votes count as half a win, as AlpacaEval and Chatbot Arena's win rates do, so the rate
 * is 0.5 when the two models cannot be told apart.
 */
export function winRate(votes: VoteCounts): WinRate {
  for (const [name, value] of Object.entries(votes)) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`winRate: ${name} must be a count, got ${value}`);
  }
  const n = votes.wins + votes.losses + votes.ties + votes.bothBad;
  const successes = votes.wins + 0.5 * (votes.ties + votes.bothBad);
  return { n, rate: n === 0 ? 0.5 : successes / n, ...wilsonInterval(successes, n) };
}
