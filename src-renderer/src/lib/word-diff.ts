// Word-level differences between the two responses, for the Rate view's highlight: each side becomes a
// list of segments marked as shared or only on that side. Uses the `diff` package (Myers' algorithm).
//
// Myers' algorithm costs about (tokens x edits); two unrelated 20,000-token responses would take minutes
// and freeze the view. So the work is bounded, deterministically (an edit budget, not a clock): the common
// start and end are cut off first, then the middle is diffed by words within the budget; past it, by lines,
// with each changed block diffed by words within its own share; a block still over budget is marked changed
// as a whole and the result says it is approximate.
import { diffLines, diffWordsWithSpace, type ChangeObject } from 'diff';

export interface Segment {
  text: string;
  /** True where this side has words the other side lacks. */
  changed: boolean;
}

export interface WordDiff {
  left: Segment[];
  right: Segment[];
  /** True when some block was too different to diff by words within the budget and is marked whole. */
  approximate: boolean;
}

/** Work allowed for one diff, in (tokens x edit length) units: tens of milliseconds in a browser. */
export const DIFF_BUDGET = 4_000_000;
const LINE_COST = 16;

/** Merges neighbouring segments of the same kind, so the DOM gets one element per run. */
function push(segments: Segment[], text: string, changed: boolean): void {
  if (text === '') return;
  const last = segments.at(-1);
  if (last && last.changed === changed) last.text += text;
  else segments.push({ text, changed });
}

/** Approximate token count of the word tokenizer (words, runs of spaces, punctuation). */
function tokenCount(text: string): number {
  return text.match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu)?.length ?? 0;
}

/** Length of the common start, moved back to a word boundary so no word is split. */
function commonPrefix(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === a.length && i === b.length) return i;
  while (i > 0 && /\S/.test(a[i - 1] ?? '')) i--;
  return i;
}

function commonSuffix(a: string, b: string, prefix: number): number {
  const max = Math.min(a.length, b.length) - prefix;
  let i = 0;
  while (i < max && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  while (i > 0 && /\S/.test(a[a.length - i] ?? '')) i--;
  return i;
}

function applyParts(result: WordDiff, parts: readonly ChangeObject<string>[]): void {
  for (const part of parts) {
    if (!part.added) push(result.left, part.value, part.removed);
    if (!part.removed) push(result.right, part.value, part.added);
  }
}

/** Word diff of one block within `budget`; false (and nothing added) when it does not fit. */
function wordsWithin(result: WordDiff, left: string, right: string, budget: number): boolean {
  const tokens = tokenCount(left) + tokenCount(right);
  const maxEditLength = Math.floor(budget / Math.max(tokens, 1));
  if (maxEditLength < 1) return false;
  const parts = diffWordsWithSpace(left, right, { maxEditLength });
  if (parts === undefined) return false;
  applyParts(result, parts);
  return true;
}

function markWhole(result: WordDiff, left: string, right: string): void {
  push(result.left, left, true);
  push(result.right, right, true);
  result.approximate = true;
}

export function wordDiff(left: string, right: string, budget = DIFF_BUDGET): WordDiff {
  const result: WordDiff = { left: [], right: [], approximate: false };
  const prefix = commonPrefix(left, right);
  const suffix = commonSuffix(left, right, prefix);
  push(result.left, left.slice(0, prefix), false);
  push(result.right, right.slice(0, prefix), false);
  const midLeft = left.slice(prefix, left.length - suffix);
  const midRight = right.slice(prefix, right.length - suffix);
  if (!wordsWithin(result, midLeft, midRight, budget)) {
    // By lines first (far fewer tokens), then each changed block by words with a share of the budget.
    const lineParts = diffLines(midLeft, midRight, {
      // A line edit costs jsdiff far more than a word edit (it copies paths per diagonal): a smaller share.
      maxEditLength: Math.max(
        1,
        Math.floor(budget / LINE_COST / Math.max(1, countLines(midLeft) + countLines(midRight))),
      ),
    });
    if (lineParts === undefined) markWhole(result, midLeft, midRight);
    else applyLineBlocks(result, lineParts, budget);
  }
  push(result.left, left.slice(left.length - suffix), false);
  push(result.right, right.slice(right.length - suffix), false);
  return result;
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Shared lines stay shared; each run of removed + added lines is diffed by words as one block. */
function applyLineBlocks(result: WordDiff, parts: readonly ChangeObject<string>[], budget: number): void {
  const blocks: Array<{ left: string; right: string }> = [];
  let open: { left: string; right: string } | null = null;
  const flush = () => {
    if (open) blocks.push(open);
    open = null;
  };
  const ordered: Array<{ shared: string } | { left: string; right: string }> = [];
  for (const part of parts) {
    if (part.added || part.removed) {
      if (!open) {
        open = { left: '', right: '' };
        ordered.push(open);
      }
      if (part.removed) open.left += part.value;
      else open.right += part.value;
    } else {
      flush();
      ordered.push({ shared: part.value });
    }
  }
  flush();
  const blockTokens = blocks.reduce((n, b) => n + tokenCount(b.left) + tokenCount(b.right), 0);
  for (const item of ordered) {
    if ('shared' in item) {
      push(result.left, item.shared, false);
      push(result.right, item.shared, false);
      continue;
    }
    const tokens = tokenCount(item.left) + tokenCount(item.right);
    const share = Math.floor((budget * tokens) / Math.max(blockTokens, 1));
    if (!wordsWithin(result, item.left, item.right, share)) markWhole(result, item.left, item.right);
  }
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
