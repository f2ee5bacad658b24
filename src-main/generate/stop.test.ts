// Stop rules on a token table: stop strings across tokens and inside one token, eos, length, and the text
// that streaming holds back while a stop string may still be forming.
import { describe, expect, it } from 'vitest';
import { Completion, findStopString, heldBackLength, type StopCriteria } from './stop';

const TABLE = ['<eos>', 'Hel', 'lo ', 'wor', 'ld', 'abc\ndef', '!', 'o', '<A>', '<B>'];

/** Table join; tokens 8 + 9 are the two halves of 'é' (one alone decodes to U+FFFD, like split UTF-8). */
function decode(ids: readonly number[]): string {
  return ids
    .map((id) => TABLE[id] as string)
    .join('')
    .replaceAll('<A><B>', 'é')
    .replaceAll('<A>', '\uFFFD');
}

function completion(criteria: Partial<StopCriteria>): Completion {
  return new Completion({ eosIds: new Set([0]), maxNewTokens: 16, stopStrings: [], ...criteria }, decode);
}

function pushAll(c: Completion, ids: number[]): (string | null)[] {
  return ids.map((id) => c.push(id));
}

describe('findStopString / heldBackLength', () => {
  it('finds the earliest stop string, the first listed at one index', () => {
    expect(findStopString('a stop b end', ['end', 'stop'])).toEqual({ index: 2, stopString: 'stop' });
    expect(findStopString('xyz', ['xy', 'x'])).toEqual({ index: 0, stopString: 'xy' });
    expect(findStopString('end end', ['end'], 1)).toEqual({ index: 4, stopString: 'end' });
    expect(findStopString('none', ['x'])).toBeNull();
  });

  it('holds back the longest suffix that starts a stop string, and partial characters', () => {
    expect(heldBackLength('Hello wo', ['o wor'])).toBe(4);
    expect(heldBackLength('Hello', ['o wor'])).toBe(1);
    expect(heldBackLength('Hell', ['o wor'])).toBe(0);
    expect(heldBackLength('ab\uFFFD', [])).toBe(1);
  });
});

describe('Completion', () => {
  it('cuts a stop string that spans several tokens right before it', () => {
    const c = completion({ stopStrings: ['o wor'] });
    expect(pushAll(c, [1, 2, 3])).toEqual([null, null, 'stop']);
    expect(c.text).toBe('Hell');
    expect(c.stopString).toBe('o wor');
    expect(c.tokenIds).toEqual([1, 2, 3]);
  });

  it('cuts a stop string found inside one longer token', () => {
    const c = completion({ stopStrings: ['\n'] });
    expect(pushAll(c, [1, 5])).toEqual([null, 'stop']);
    expect(c.text).toBe('Helabc');
  });

  it('eos ends the candidate; its text is not part of the candidate text', () => {
    const c = completion({ stopStrings: ['zzz'] });
    expect(pushAll(c, [1, 2, 0])).toEqual([null, null, 'eos']);
    expect(c.text).toBe('Hello ');
    expect(c.tokenIds).toEqual([1, 2, 0]);
  });

  it('max new tokens gives length; eos on the last allowed token is still eos', () => {
    const long = completion({ maxNewTokens: 3 });
    expect(pushAll(long, [1, 2, 3])).toEqual([null, null, 'length']);
    expect(long.text).toBe('Hello wor');
    const eos = completion({ maxNewTokens: 2 });
    expect(pushAll(eos, [1, 0])).toEqual([null, 'eos']);
  });

  it('finds a stop string completed when a partial character resolves', () => {
    const c = completion({ stopStrings: ['lé'] });
    expect(pushAll(c, [1, 8])).toEqual([null, null]);
    expect(c.streamText).toBe('Hel');
    expect(c.push(9)).toBe('stop');
    expect(c.text).toBe('He');
  });

  it('streams text without a possible stop-string start, releasing it once it is not one', () => {
    const c = completion({ stopStrings: ['o wor'] });
    c.push(1);
    expect(c.streamText).toBe('Hel');
    c.push(7);
    expect(c.streamText).toBe('Hel');
    c.push(6);
    expect(c.streamText).toBe('Helo!');
  });

  it('a match earlier than the newest token is still the one cut at', () => {
    const c = completion({ stopStrings: ['wor', 'lo'] });
    expect(pushAll(c, [1, 2])).toEqual([null, 'stop']);
    expect(c.text).toBe('Hel');
    expect(c.stopString).toBe('lo');
  });

  it('cancel marks only an unfinished candidate; a finished one takes no more tokens', () => {
    const running = completion({});
    running.push(1);
    running.cancel();
    expect(running.finishReason).toBe('cancelled');
    const done = completion({});
    done.push(0);
    done.cancel();
    expect(done.finishReason).toBe('eos');
    expect(() => done.push(1)).toThrow(/already ended \(eos\)/);
  });

  it('rejects an empty stop string and maxNewTokens < 1', () => {
    expect(() => completion({ stopStrings: ['ok', ''] })).toThrow(/stopStrings\[1\] is empty/);
    expect(() => completion({ maxNewTokens: 0 })).toThrow(/maxNewTokens/);
  });
});
