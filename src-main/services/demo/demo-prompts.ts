// The demo's questions: checkable Q&A from the tiny model's corpus, drawn deterministically. Training
// prompts come from the questions the model was pretrained on; held-out prompts from the questions it never
// saw (the corpus splits them by a hash of the question).
import { buildTinyCorpus, type Fact } from '../../models/tiny/corpus';
import { Rng } from '../../train/rng';

export interface DemoPrompts {
  train: Fact[];
  heldOut: Fact[];
}

/** `count` facts of `facts`: the prefix of a seeded permutation (the trainer's mulberry32 Fisher-Yates). */
export function drawFacts(facts: readonly Fact[], count: number, seed: number): Fact[] {
  if (count > facts.length) throw new Error(`asked for ${count} questions; the corpus has ${facts.length}`);
  const order = new Rng(seed).permutation(facts.length).map((i) => facts[i]!);
  return order.slice(0, count);
}

/**
 * Held-out questions first; then the training prompts: the other phrasings of the held-out questions' facts
 * (the corpus asks each country fact three ways, and holds out single phrasings), then a seeded draw of
 * the rest. So the evaluation asks whether preferring right answers carries over to a new wording.
 */
export function demoPrompts(trainCount: number, heldOutCount: number, seed: number): DemoPrompts {
  const corpus = buildTinyCorpus();
  const heldOut = drawFacts(corpus.heldOut, heldOutCount, seed + 1);
  const heldOutAnswers = new Set(heldOut.map((f) => f.answer));
  const paraphrases = corpus.train.filter((f) => heldOutAnswers.has(f.answer));
  const others = drawFacts(
    corpus.train.filter((f) => !heldOutAnswers.has(f.answer)),
    Math.max(0, trainCount - paraphrases.length),
    seed,
  );
  return { train: [...paraphrases, ...others].slice(0, trainCount), heldOut };
}
