// When a candidate ends: an eos token, max new tokens, or a stop string found in the decoded text (it may span
// several tokens or sit inside one); the text is cut right before the stop string. Also what text is safe to
// stream while a stop string might still be forming.

export type FinishReason = 'eos' | 'stop' | 'length' | 'cancelled';

export interface StopCriteria {
  /** generation_config.json's eos_token_id (one or several). */
  eosIds: ReadonlySet<number>;
  maxNewTokens: number;
  stopStrings: readonly string[];
}

export interface StopMatch {
  /** Where the stop string starts in the text. */
  index: number;
  stopString: string;
}

/** Decodes generated token ids to text (eos excluded by the caller). */
export type DecodeTokens = (tokenIds: readonly number[]) => string;

const REPLACEMENT_CHAR = '\uFFFD';

export function validateStopCriteria(criteria: StopCriteria): void {
  const { maxNewTokens, stopStrings } = criteria;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new Error(`maxNewTokens must be an integer >= 1, got ${maxNewTokens}`);
  }
  const empty = stopStrings.findIndex((s) => s.length === 0);
  if (empty >= 0)
    throw new Error(`stopStrings[${empty}] is empty; a stop string needs at least one character`);
}

/** The earliest stop string starting at or after `from`; at one index, the first listed wins. */
export function findStopString(text: string, stopStrings: readonly string[], from = 0): StopMatch | null {
  let best: StopMatch | null = null;
  for (const stopString of stopStrings) {
    const index = text.indexOf(stopString, from);
    if (index >= 0 && (best === null || index < best.index)) best = { index, stopString };
  }
  return best;
}

/**
 * How many trailing characters to hold back from a stream: the longest suffix that begins some stop string,
 * or trailing U+FFFD (a character whose UTF-8 bytes are not all decoded yet), whichever is longer.
 */
export function heldBackLength(text: string, stopStrings: readonly string[]): number {
  let held = 0;
  while (held < text.length && text[text.length - 1 - held] === REPLACEMENT_CHAR) held++;
  for (const stopString of stopStrings) {
    for (let length = Math.min(stopString.length - 1, text.length); length > held; length--) {
      if (text.endsWith(stopString.slice(0, length))) {
        held = length;
        break;
      }
    }
  }
  return held;
}

function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * One candidate's generated tokens and text. Text is the decode of all non-eos tokens, re-decoded each step
 * (correct for any tokenizer); the stop-string search only rescans from where the text may have changed.
 */
export class Completion {
  readonly tokenIds: number[] = [];
  private decodedText = '';
  private reason: FinishReason | null = null;
  private match: StopMatch | null = null;
  private readonly longestStop: number;

  constructor(
    private readonly criteria: StopCriteria,
    private readonly decode: DecodeTokens,
  ) {
    validateStopCriteria(criteria);
    this.longestStop = Math.max(0, ...criteria.stopStrings.map((s) => s.length));
  }

  get finishReason(): FinishReason | null {
    return this.reason;
  }

  /** The matched stop string, when finishReason is 'stop'. */
  get stopString(): string | null {
    return this.match?.stopString ?? null;
  }

  /** The candidate's text: cut before a stop string, without the eos token. */
  get text(): string {
    return this.match ? this.decodedText.slice(0, this.match.index) : this.decodedText;
  }

  /** The text that can be shown now and will not be taken back. */
  get streamText(): string {
    if (this.reason !== null) return this.text;
    return this.decodedText.slice(
      0,
      this.decodedText.length - heldBackLength(this.decodedText, this.criteria.stopStrings),
    );
  }

  /** Appends one generated token; returns the finish reason if this token ends the candidate. */
  push(tokenId: number): FinishReason | null {
    if (this.reason !== null)
      throw new Error(`cannot append token ${tokenId}: candidate already ended (${this.reason})`);
    this.tokenIds.push(tokenId);
    if (this.criteria.eosIds.has(tokenId)) return (this.reason = 'eos');
    if (this.updateText()) return (this.reason = 'stop');
    if (this.tokenIds.length >= this.criteria.maxNewTokens) return (this.reason = 'length');
    return null;
  }

  /** Marks an unfinished candidate as cancelled. */
  cancel(): void {
    if (this.reason === null) this.reason = 'cancelled';
  }

  /** Re-decodes and looks for a stop string ending in the changed tail; true when one is found. */
  private updateText(): boolean {
    const next = this.decode(this.tokenIds);
    const from = Math.max(0, commonPrefixLength(this.decodedText, next) - this.longestStop + 1);
    this.decodedText = next;
    this.match = findStopString(next, this.criteria.stopStrings, from);
    return this.match !== null;
  }
}
