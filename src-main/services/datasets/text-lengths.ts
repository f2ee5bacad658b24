// Length statistics of a dataset's texts: characters (UTF-16 code units, as JavaScript counts them) and
// whitespace-separated words, which stand in for tokens until a model's tokenizer is wired in.
import type { LengthStats } from '../../../src-shared/labeling-schemas';

export function whitespaceTokenCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

export function summarize(values: readonly number[]): LengthStats {
  if (values.length === 0) return { mean: 0, median: 0, max: 0 };
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { mean, median, max: sorted[sorted.length - 1] ?? 0 };
}

interface Texts {
  prompt: string;
  chosen: string;
  rejected: string;
}

export function textLengths(rows: readonly Texts[]) {
  const measure = (length: (text: string) => number) => ({
    prompt: summarize(rows.map((row) => length(row.prompt))),
    chosen: summarize(rows.map((row) => length(row.chosen))),
    rejected: summarize(rows.map((row) => length(row.rejected))),
  });
  return { characters: measure((text) => text.length), whitespaceTokens: measure(whitespaceTokenCount) };
}
