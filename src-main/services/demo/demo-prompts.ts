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

/** The questions of `facts` grouped by the fact they ask (one answer sentence), in first-seen order. */
function byFact(facts: readonly Fact[]): Fact[][] {
  const groups = new Map<string, Fact[]>();
  for (const fact of facts) groups.set(fact.answer, [...(groups.get(fact.answer) ?? []), fact]);
  return [...groups.values()];
}

/**
 * Held-out questions first; then the training prompts: the other phrasings of the held-out questions' facts
 * (the corpus asks each country fact three ways, and holds out single phrasings), then a seeded draw of other
 * facts, each with all of its training phrasings (the last one drawn may be cut to fit `trainCount`). So the
 * evaluation asks whether preferring right answers carries over to a new wording, and so does the dataset's
 * eval split (it splits by prompt): an eval prompt's fact is, as a rule, trained on in another wording.
 * Arithmetic facts have one phrasing each.
 */
export function demoPrompts(trainCount: number, heldOutCount: number, seed: number): DemoPrompts {
  const corpus = buildTinyCorpus();
  const heldOut = drawFacts(corpus.heldOut, heldOutCount, seed + 1);
  const heldOutAnswers = new Set(heldOut.map((f) => f.answer));
  const paraphrases = corpus.train.filter((f) => heldOutAnswers.has(f.answer));
  const groups = byFact(corpus.train.filter((f) => !heldOutAnswers.has(f.answer)));
  const others: Fact[] = [];
  for (const i of new Rng(seed).permutation(groups.length)) {
    if (paraphrases.length + others.length >= trainCount) break;
    others.push(...groups[i]!);
  }
  const train = [...paraphrases, ...others].slice(0, trainCount);
  if (train.length < trainCount)
    throw new Error(`asked for ${trainCount} training questions; the corpus has ${train.length}`);
  return { train, heldOut };
}
