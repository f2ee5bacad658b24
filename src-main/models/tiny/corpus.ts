// The embedded tiny model's world: chat Q&A generated from structured facts (country capitals, continents
// and currencies from the countries-list package, and small-number arithmetic), each with an answer a
// program can check. The same facts are split, by a hash of the question, into training and held-out sets.
import { createHash } from 'node:crypto';
import { continents, countries, type ICountry } from 'countries-list';
import { currencies } from 'countries-list/currencies';

export type FactKind = 'capital' | 'continent' | 'currency' | 'arithmetic';

export interface Fact {
  kind: FactKind;
  question: string;
  /** The answer as a sentence, the way the training corpus phrases it. */
  answer: string;
  /** The part of the answer a judge looks for (a city, a continent, a currency, a number). */
  expected: string;
  /** The country a country fact asks about; the judge looks for the answer after it (none for arithmetic). */
  subject?: string;
}

const QUESTION_TEMPLATES: Record<Exclude<FactKind, 'arithmetic'>, readonly string[]> = {
  capital: ['What is the capital of {c}?', 'Which city is the capital of {c}?', 'Name the capital of {c}.'],
  continent: ['Which continent is {c} in?', 'On which continent is {c}?', 'Where is {c}?'],
  currency: ['What currency does {c} use?', 'What is the currency of {c}?', 'Which money is used in {c}?'],
};

const ANSWER_TEMPLATES: Record<Exclude<FactKind, 'arithmetic'>, string> = {
  capital: 'The capital of {c} is {a}.',
  continent: '{c} is in {a}.',
  currency: '{c} uses the {a}.',
};

function fill(template: string, country: string, answer = ''): string {
  return template.replaceAll('{c}', country).replaceAll('{a}', answer);
}

/** Countries with one plain capital and currency (territories without them, or with several, are left out). */
function usableCountries(): ICountry[] {
  return Object.values(countries)
    .filter((c) => c.capital && !c.capital.includes(',') && c.currency.length > 0 && c.continent !== 'AN')
    .sort((a, b) => a.name.localeCompare(b.name));
}

function currencyName(code: string): string | undefined {
  return (currencies as Record<string, { name: string } | undefined>)[code]?.name;
}

function countryFacts(): Fact[] {
  const facts: Fact[] = [];
  for (const country of usableCountries()) {
    const answers: Record<Exclude<FactKind, 'arithmetic'>, string | undefined> = {
      capital: country.capital,
      continent: continents[country.continent],
      currency: currencyName(country.currency[0]!),
    };
    for (const kind of ['capital', 'continent', 'currency'] as const) {
      const expected = answers[kind];
      if (!expected) continue;
      for (const template of QUESTION_TEMPLATES[kind]) {
        facts.push({
          kind,
          question: fill(template, country.name),
          answer: fill(ANSWER_TEMPLATES[kind], country.name, expected),
          expected,
          subject: country.name,
        });
      }
    }
  }
  return facts;
}

function arithmeticFacts(): Fact[] {
  const facts: Fact[] = [];
  for (let a = 1; a <= 12; a += 1) {
    for (let b = 1; b <= 12; b += 1) {
      facts.push({
        kind: 'arithmetic',
        question: `What is ${a} plus ${b}?`,
        answer: `${a} + ${b} = ${a + b}.`,
        expected: String(a + b),
      });
      facts.push({
        kind: 'arithmetic',
        question: `What is ${a} times ${b}?`,
        answer: `${a} × ${b} = ${a * b}.`,
        expected: String(a * b),
      });
      if (a >= b) {
        facts.push({
          kind: 'arithmetic',
          question: `What is ${a} minus ${b}?`,
          answer: `${a} − ${b} = ${a - b}.`,
          expected: String(a - b),
        });
      }
    }
  }
  return facts;
}

/** A stable number in [0, 1) from a string: the split must not move when the corpus grows elsewhere. */
function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

export interface TinyCorpus {
  train: Fact[];
  heldOut: Fact[];
}

/** Every fact, split: `heldOutFraction` of the questions (by hash) are never trained on. */
export function buildTinyCorpus(heldOutFraction = 0.1): TinyCorpus {
  const all = [...countryFacts(), ...arithmeticFacts()];
  const corpus: TinyCorpus = { train: [], heldOut: [] };
  for (const fact of all)
    (unitHash(fact.question) < heldOutFraction ? corpus.heldOut : corpus.train).push(fact);
  return corpus;
}

/** Matches `word` as a whole word (or whole number), case-insensitive. */
function wordPattern(word: string): RegExp {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'iu');
}

// A number as the tiny model writes one: digits, maybe signed (ASCII hyphen or U+2212 minus), maybe decimal.
const NUMBER = /[-\u2212]?\d+(?:\.\d+)?/gu;

/**
 * The number an arithmetic answer states as its result: the first after the last "=" ("6 − 3 = 3."), or,
 * with no "=", the last number in the text ("It is 3."). Null when it states none.
 */
export function statedResult(response: string): number | null {
  const equals = response.lastIndexOf('=');
  const numbers = [...(equals >= 0 ? response.slice(equals + 1) : response).matchAll(NUMBER)].map((m) =>
    Number(m[0].replace('\u2212', '-')),
  );
  const stated = equals >= 0 ? numbers[0] : numbers.at(-1);
  return stated === undefined ? null : stated;
}

/**
 * The programmatic judge. Arithmetic: right when the result the answer states equals the expected number
 * (an occurrence anywhere is not enough: "6 − 3 = 1." states 1, not the 3 it contains). Country facts:
 * right when the expected word stands in what the answer says after naming the country asked about ("The
 * capital of Djibouti is Tadjoura." is wrong, "South Africa is in Asia." too); an answer that does not name
 * the country, or names only it where it is its own answer ("Djibouti."), is searched whole.
 */
export function judgeAnswer(fact: Pick<Fact, 'kind' | 'expected' | 'subject'>, response: string): boolean {
  if (fact.kind === 'arithmetic') return statedResult(response) === Number(fact.expected);
  const { subject, expected } = fact;
  const named = subject ? wordPattern(subject).exec(response) : null;
  if (!subject || !named) return wordPattern(expected).test(response);
  const rest = response.slice(named.index + named[0].length);
  const ownAnswer = subject.toLowerCase() === expected.toLowerCase();
  return wordPattern(expected).test(/[\p{L}\p{N}]/u.test(rest) || !ownAnswer ? rest : response);
}
