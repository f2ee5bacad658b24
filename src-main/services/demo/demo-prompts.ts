// The demo's questions: checkable Q&A from the tiny model's corpus, drawn deterministically. Training
// prompts come from the questions the model was pretrained on; held-out prompts from the questions it never
// saw (the corpus splits them by a hash of the question).
import { buildTinyCorpus, type Fact } from '../../models/tiny/corpus';

export interface DemoPrompts {
  train: Fact[];
  heldOut: Fact[];
}

/** mulberry32: a small seeded PRNG, enough for a reproducible draw. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` facts of `facts`, a seeded shuffle's prefix (Fisher-Yates), in a stable order. */
export function drawFacts(facts: readonly Fact[], count: number, seed: number): Fact[] {
  if (count > facts.length) throw new Error(`asked for ${count} questions; the corpus has ${facts.length}`);
  const random = prng(seed);
  const order = [...facts];
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
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
