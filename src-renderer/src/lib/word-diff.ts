// Word-level differences between the two responses, for the Rate view's highlight: each side becomes a
// list of segments marked as shared or only on that side. Uses the `diff` package (Myers' algorithm).
import { diffWordsWithSpace } from 'diff';

export interface Segment {
  text: string;
  /** True where this side has words the other side lacks. */
  changed: boolean;
}

export interface WordDiff {
  left: Segment[];
  right: Segment[];
}

/** Merges neighbouring segments of the same kind, so the DOM gets one element per run. */
function push(segments: Segment[], text: string, changed: boolean): void {
  const last = segments.at(-1);
  if (last && last.changed === changed) last.text += text;
  else segments.push({ text, changed });
}

export function wordDiff(left: string, right: string): WordDiff {
  const result: WordDiff = { left: [], right: [] };
  for (const part of diffWordsWithSpace(left, right)) {
    if (!part.added) push(result.left, part.value, part.removed);
    if (!part.removed) push(result.right, part.value, part.added);
  }
  return result;
}

/** Share of words that differ, 0 to 1: shown next to the toggle so near-duplicates stand out. */
export function changedShare(diff: WordDiff): number {
  const words = (segments: Segment[], changed: boolean) =>
    segments
      .filter((s) => s.changed === changed)
      .reduce((n, s) => n + (s.text.match(/\S+/g)?.length ?? 0), 0);
  const changed = words(diff.left, true) + words(diff.right, true);
  const total = changed + 2 * words(diff.left, false);
  return total === 0 ? 0 : changed / total;
}
