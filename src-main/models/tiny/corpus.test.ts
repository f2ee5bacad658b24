import { describe, expect, it } from 'vitest';
import { buildTinyCorpus, judgeAnswer, statedResult } from './corpus';

describe('tiny-model corpus', () => {
  const corpus = buildTinyCorpus();
  const all = [...corpus.train, ...corpus.heldOut];

  it('states real facts from countries-list and correct arithmetic', () => {
    const byQuestion = new Map(all.map((fact) => [fact.question, fact]));
    expect(byQuestion.get('What is the capital of France?')?.answer).toBe('The capital of France is Paris.');
    expect(byQuestion.get('Which continent is Kenya in?')?.expected).toBe('Africa');
    expect(byQuestion.get('What currency does Japan use?')?.answer).toBe('Japan uses the Japanese Yen.');
    expect(byQuestion.get('What is 7 times 8?')?.answer).toBe('7 × 8 = 56.');
    expect(byQuestion.get('What is 9 minus 4?')?.expected).toBe('5');
  });

  it('is the same on every build and keeps about a tenth of the questions out of training', () => {
    expect(buildTinyCorpus()).toEqual(corpus);
    const share = corpus.heldOut.length / all.length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    const trained = new Set(corpus.train.map((fact) => fact.question));
    expect(corpus.heldOut.some((fact) => trained.has(fact.question))).toBe(false);
    expect(all.length).toBeGreaterThan(1500);
  });

  it('judges an answer right only when it states the expected word or number', () => {
    const capital = { kind: 'capital', expected: 'Paris', subject: 'France' } as const;
    expect(judgeAnswer(capital, 'The capital of France is Paris.')).toBe(true);
    expect(judgeAnswer(capital, 'Paris.')).toBe(true);
    expect(judgeAnswer(capital, 'It is Lyon.')).toBe(false);
    expect(judgeAnswer(capital, 'The capital of France is Parisville.')).toBe(false);
    expect(
      judgeAnswer({ kind: 'currency', expected: 'Euro', subject: 'France' }, 'France uses the euro.'),
    ).toBe(true);
  });

  it('judges arithmetic by the result the answer states, not by any number in it', () => {
    const minus = { kind: 'arithmetic', expected: '3' } as const;
    expect(judgeAnswer(minus, '6 − 3 = 3.')).toBe(true);
    expect(judgeAnswer(minus, 'It is 3.')).toBe(true);
    expect(judgeAnswer(minus, '5 − 2 = 3.')).toBe(true); // the result is right, the working is not checked
    // The false positives of a judge that looked for the number anywhere:
    expect(judgeAnswer(minus, '6 − 3 = 1.')).toBe(false);
    expect(judgeAnswer(minus, '3 + 3 = 12.')).toBe(false);
    expect(judgeAnswer(minus, '6 = 3 = 0.')).toBe(false);
    expect(judgeAnswer(minus, '6 − 3 = −3.')).toBe(false);
    expect(judgeAnswer(minus, 'It is 3 or 4.')).toBe(false);
    expect(judgeAnswer(minus, '6 − 3 =.')).toBe(false);
    expect(judgeAnswer({ kind: 'arithmetic', expected: '56' }, '7 × 8 = 56.')).toBe(true);
    expect(judgeAnswer({ kind: 'arithmetic', expected: '5' }, '9 − 4 = 15.')).toBe(false);
    expect(statedResult('7 × 8 = 56.')).toBe(56);
    expect(statedResult('2 × J × 3.')).toBe(3);
    expect(statedResult('ub is in.')).toBeNull();
  });

  it('does not count the country asked about as its answer', () => {
    const corpusFact = (question: string) => all.find((fact) => fact.question === question)!;
    const djibouti = corpusFact('What is the capital of Djibouti?');
    expect(djibouti.subject).toBe('Djibouti');
    expect(judgeAnswer(djibouti, 'The capital of Djibouti is Tadjoura.')).toBe(false);
    expect(judgeAnswer(djibouti, 'The capital of Djibouti is Djibouti.')).toBe(true);
    expect(judgeAnswer(djibouti, 'Djibouti.')).toBe(true);
    const southAfrica = corpusFact('Where is South Africa?');
    expect(judgeAnswer(southAfrica, 'South Africa is in Asia.')).toBe(false);
    expect(judgeAnswer(southAfrica, 'South Africa.')).toBe(false);
    expect(judgeAnswer(southAfrica, 'South Africa is in Africa.')).toBe(true);
    expect(judgeAnswer(southAfrica, 'Africa.')).toBe(true);
    const bissau = corpusFact('Name the capital of Guinea-Bissau.');
    expect(judgeAnswer(bissau, 'The capital of Guinea-Bissau is Conakry.')).toBe(false);
    expect(judgeAnswer(bissau, 'The capital of Guinea-Bissau is Bissau.')).toBe(true);
    // Every fact's own answer sentence is judged right.
    expect(all.filter((fact) => !judgeAnswer(fact, fact.answer))).toEqual([]);
  });
});
