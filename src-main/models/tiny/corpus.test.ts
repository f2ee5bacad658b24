import { describe, expect, it } from 'vitest';
import { buildTinyCorpus, judgeAnswer } from './corpus';

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
    expect(judgeAnswer({ expected: 'Paris' }, 'The capital of France is Paris.')).toBe(true);
    expect(judgeAnswer({ expected: 'Paris' }, 'It is Lyon.')).toBe(false);
    expect(judgeAnswer({ expected: '56' }, '7 × 8 = 56.')).toBe(true);
    expect(judgeAnswer({ expected: '5' }, '9 − 4 = 15.')).toBe(false);
    expect(judgeAnswer({ expected: 'Euro' }, 'France uses the euro.')).toBe(true);
  });
});
