// Plain-text formatting for the Rate view: choices as words, prompt excerpts, times, import summaries.
import type { ImportResult, RatingSummary, Strength } from '../../../src-shared/schemas';

export const STRENGTH_WORDS: Readonly<Record<Strength, string>> = { 1: 'slight', 2: 'clear', 3: 'strong' };

/** A rating as words in the screen's terms ("1 / A" is left), e.g. "A better, strong". */
export function choiceWords(rating: Pick<RatingSummary, 'shownChoice' | 'strength'>): string {
  if (rating.shownChoice === 'tie') return 'Tie';
  if (rating.shownChoice === 'both_bad') return 'Both bad';
  if (rating.shownChoice === 'skip') return 'Skipped';
  const winner = rating.shownChoice === 'left' ? 'A better' : 'B better';
  return rating.strength === null ? winner : `${winner}, ${STRENGTH_WORDS[rating.strength]}`;
}

/** The start of a prompt on one line, for lists. */
export function excerpt(text: string, maxChars = 90): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= maxChars ? oneLine : `${oneLine.slice(0, maxChars - 1).trimEnd()}…`;
}

/** SQLite's `YYYY-MM-DD HH:MM:SS` is UTC without saying so; ISO strings carry their own zone. */
export function parseTimestamp(value: string): Date | null {
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function clockTime(value: string): string {
  const date = parseTimestamp(value);
  return date ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : value;
}

export function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function plural(count: number, word: string): string {
  return `${count} ${count === 1 ? word : `${word}s`}`;
}

/** "12 pairs added, 0 duplicates (12 rows in prefs.jsonl)". */
export function importSummary(result: ImportResult): string {
  const counts = `${plural(result.pairsAdded, 'pair')} added, ${plural(result.duplicatesSkipped, 'duplicate')}`;
  const identical =
    result.identicalSkipped > 0
      ? `, ${plural(result.identicalSkipped, 'row')} dropped (chosen equals rejected)`
      : '';
  return `${counts}${identical} (${plural(result.rows, 'row')} in ${result.fileName})`;
}

/** "CPU (no CUDA: a long reason)" -> its short form and the reason apart (shown once, folded away). */
export function splitDeviceLine(line: string): { short: string; reason: string | null } {
  const match = /^(\w+) \(no CUDA: ([\s\S]*)\)$/.exec(line);
  if (!match?.[1] || match[2] === undefined) return { short: line, reason: null };
  return { short: `${match[1]} (no CUDA)`, reason: match[2] };
}
