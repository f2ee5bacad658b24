// The demo's prompt draw: the same seed gives the same questions, no held-out question is trained on, and
// the other phrasings of the held-out facts lead the training prompts.
import { describe, expect, it } from 'vitest';
import { buildTinyCorpus } from '../../models/tiny/corpus';
import { demoPrompts, drawFacts } from './demo-prompts';

describe('demo prompts', () => {
  it('draws the same questions for a seed, and other ones for another seed', () => {
    const a = demoPrompts(40, 10, 7);
    expect(demoPrompts(40, 10, 7)).toEqual(a);
    expect(demoPrompts(40, 10, 8).heldOut).not.toEqual(a.heldOut);
    expect(a.train).toHaveLength(40);
    expect(a.heldOut).toHaveLength(10);
  });

  it('never trains on a held-out question, and trains on other phrasings of its fact', () => {
    const { train, heldOut } = demoPrompts(200, 20, 7);
    const trainQuestions = new Set(train.map((f) => f.question));
    expect(heldOut.filter((f) => trainQuestions.has(f.question))).toEqual([]);
    const countryFacts = heldOut.filter((f) => f.kind !== 'arithmetic');
    expect(countryFacts.length).toBeGreaterThan(0);
    for (const fact of countryFacts) {
      const phrasings = train.filter((t) => t.answer === fact.answer);
      expect(phrasings.length, fact.question).toBeGreaterThan(0);
      expect(phrasings.every((t) => t.question !== fact.question)).toBe(true);
    }
  });

  it('draws the other training facts with every training phrasing of each, so eval prompts have siblings', () => {
    const { train, heldOut } = demoPrompts(200, 20, 7);
    const heldOutAnswers = new Set(heldOut.map((f) => f.answer));
    const corpus = buildTinyCorpus();
    const drawn = [...new Set(train.filter((f) => !heldOutAnswers.has(f.answer)).map((f) => f.answer))];
    // Every drawn fact but the last (cut to fit the count) comes with all of its training phrasings.
    for (const answer of drawn.slice(0, -1)) {
      const phrasings = corpus.train.filter((f) => f.answer === answer).map((f) => f.question);
      expect(train.filter((f) => f.answer === answer).map((f) => f.question)).toEqual(phrasings);
    }
    expect(drawn.length).toBeLessThan(train.length - 100);
  });

  it('refuses to draw more questions than there are', () => {
    expect(() => drawFacts([], 1, 0)).toThrow(/asked for 1 questions; the corpus has 0/);
    expect(() => demoPrompts(5000, 20, 7)).toThrow(/asked for 5000 training questions/);
  });
});
