// How well the embedded tiny model answers: greedy accuracy and temperature-1 sampled accuracy per kind of
// question, judged by the corpus's programmatic judge, through the same best-of-N sampler the app uses.
import { buildTinyCorpus, judgeAnswer, type Fact, type FactKind } from '../models/tiny/corpus';
import { generateBestOfN, type BestOfNSampling } from './best-of-n';
import type { DecoderModel } from './decoder-model';

/** What measuring needs of a loaded model (loadGenerator's result fits). */
export interface MeasurableModel {
  model: DecoderModel<unknown>;
  tokenizer: { encodeChat(prompt: string): number[]; decode(ids: readonly number[]): string };
  eosIds: readonly number[];
}

export interface Accuracy {
  /** Judged answers (questions x samples). */
  answers: number;
  right: number;
  /** right / answers */
  accuracy: number;
}

export interface SetMeasurement {
  questions: number;
  greedy: Accuracy & { byKind: Partial<Record<FactKind, Accuracy>> };
  sampled: Accuracy & {
    byKind: Partial<Record<FactKind, Accuracy>>;
    samplesPerQuestion: number;
    /** Share of questions whose samples hold both a right and a wrong answer. */
    mixedQuestions: number;
    /** Mean number of distinct answer texts per question. */
    distinctPerQuestion: number;
  };
}

export interface TinyMeasurement {
  /** Questions never trained on (other phrasings of trained facts; unseen sums and products). */
  heldOut: SetMeasurement;
  /** Every `trainStride`-th training question. */
  train: SetMeasurement;
  /** A few examples: question, greedy answer, right or not. */
  examples: { question: string; greedy: string; right: boolean }[];
}

export interface MeasureOptions {
  samples: number;
  seed: number;
  maxNewTokens: number;
  trainStride: number;
  promptsPerBatch: number;
}

export const MEASURE_DEFAULTS: MeasureOptions = {
  samples: 8,
  seed: 7,
  maxNewTokens: 24,
  trainStride: 8,
  promptsPerBatch: 32,
};

function accuracy(right: number, answers: number): Accuracy {
  return { answers, right, accuracy: answers === 0 ? 0 : right / answers };
}

function byKind(facts: readonly Fact[], rightPerFact: readonly number[], perFact: number) {
  const out: Partial<Record<FactKind, Accuracy>> = {};
  const kinds = [...new Set(facts.map((f) => f.kind))];
  for (const kind of kinds) {
    let right = 0;
    let answers = 0;
    facts.forEach((f, i) => {
      if (f.kind !== kind) return;
      right += rightPerFact[i] as number;
      answers += perFact;
    });
    out[kind] = accuracy(right, answers);
  }
  return out;
}

async function answers(
  m: MeasurableModel,
  facts: readonly Fact[],
  n: number,
  sampling: BestOfNSampling,
  promptsPerBatch: number,
): Promise<string[][]> {
  const results = await generateBestOfN({
    model: m.model,
    tokenizer: m.tokenizer,
    prompts: facts.map((f, i) => ({ id: String(i), promptIds: m.tokenizer.encodeChat(f.question) })),
    n,
    sampling,
    eosIds: m.eosIds,
    promptsPerBatch,
  });
  return results.map((r) => r.candidates.map((c) => c.text));
}

/** Greedy and sampled accuracy on `facts`. */
export async function measureSet(
  m: MeasurableModel,
  facts: readonly Fact[],
  options: MeasureOptions,
): Promise<{ set: SetMeasurement; greedyTexts: string[] }> {
  const base = { maxNewTokens: options.maxNewTokens, stopStrings: [], seed: options.seed };
  const greedy = await answers(
    m,
    facts,
    1,
    { ...base, temperature: 0, topK: 0, topP: 1 },
    options.promptsPerBatch,
  );
  const sampled = await answers(
    m,
    facts,
    options.samples,
    { ...base, temperature: 1, topK: 0, topP: 1 },
    options.promptsPerBatch,
  );
  const greedyRight = facts.map((f, i) => (judgeAnswer(f, greedy[i]?.[0] ?? '') ? 1 : 0));
  const sampledRight = facts.map((f, i) => (sampled[i] ?? []).filter((t) => judgeAnswer(f, t)).length);
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  const mixed = sampledRight.filter((r) => r > 0 && r < options.samples).length;
  const distinct = sum(sampled.map((texts) => new Set(texts).size));
  return {
    set: {
      questions: facts.length,
      greedy: { ...accuracy(sum(greedyRight), facts.length), byKind: byKind(facts, greedyRight, 1) },
      sampled: {
        ...accuracy(sum(sampledRight), facts.length * options.samples),
        byKind: byKind(facts, sampledRight, options.samples),
        samplesPerQuestion: options.samples,
        mixedQuestions: facts.length === 0 ? 0 : mixed / facts.length,
        distinctPerQuestion: facts.length === 0 ? 0 : distinct / facts.length,
      },
    },
    greedyTexts: greedy.map((g) => g[0] ?? ''),
  };
}

/** The README's numbers: held-out questions and a fixed stride of the training questions. */
export async function measureTinyModel(
  m: MeasurableModel,
  options: MeasureOptions = MEASURE_DEFAULTS,
): Promise<TinyMeasurement> {
  const corpus = buildTinyCorpus();
  const trainFacts = corpus.train.filter((_, i) => i % options.trainStride === 0);
  const heldOut = await measureSet(m, corpus.heldOut, options);
  const train = await measureSet(m, trainFacts, options);
  const examples = corpus.heldOut
    .map((f, i) => ({ question: f.question, greedy: heldOut.greedyTexts[i] ?? '', right: false, f }))
    .filter((_, i) => i % 25 === 0)
    .map(({ f, ...e }) => ({ ...e, right: judgeAnswer(f, e.greedy) }));
  return { heldOut: heldOut.set, train: train.set, examples };
}
