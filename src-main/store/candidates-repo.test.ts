// CandidatesRepo.storeGenerated: generated candidates keep token ids, log-prob, finish reason, sampling and
// seed; prompts and texts are stored once, also across an import of the same prompt.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CandidatesRepo, type GeneratedCandidateRow } from './candidates-repo';
import { PairsRepo } from './pairs-repo';
import { openTempDatabase, type TempDatabase } from './test-support';

let temp: TempDatabase;
let repo: CandidatesRepo;
beforeEach(() => {
  temp = openTempDatabase();
  repo = new CandidatesRepo(temp.db);
});
afterEach(() => temp.dispose());

const candidate = (text: string, seed: number): GeneratedCandidateRow => ({
  text,
  tokenIds: [5, 9, seed],
  logp: -1.25 * seed,
  finishReason: seed % 2 ? 'eos' : 'length',
  seed,
  sampling: { temperature: 0.7, topP: 0.9, topK: 50, maxNewTokens: 3 },
});

describe('CandidatesRepo.storeGenerated', () => {
  it('stores each candidate with its generation details, and a repeated text once', () => {
    const messages = [{ role: 'user', content: 'Name a colour.' }];
    const stored = repo.storeGenerated(null, [
      {
        text: 'Name a colour.',
        messages,
        candidates: [candidate('Blue.', 1), candidate('Red.', 2), candidate('Blue.', 3)],
      },
      { text: 'Say hi.', messages: null, candidates: [candidate('Hi!', 4)] },
    ]);
    expect(stored.candidatesAdded).toBe(3);
    expect(stored.duplicatesSkipped).toBe(1);
    const [colour, hi] = stored.prompts;
    expect(colour?.candidateIds[2]).toBe(colour?.candidateIds[0]);
    const row = temp.db
      .prepare(
        `SELECT c.text, c.model_id AS modelId, c.token_ids_json AS tokenIds, c.token_count AS tokenCount,
           c.logp, c.finish_reason AS finishReason, c.sampling_json AS sampling, c.seed, c.source,
           p.text AS prompt, p.messages_json AS messages, p.source AS promptSource
         FROM candidates c JOIN prompts p ON p.id = c.prompt_id WHERE c.id = ?`,
      )
      .get(colour?.candidateIds[1]);
    expect(row).toEqual({
      text: 'Red.',
      modelId: null,
      tokenIds: '[5,9,2]',
      tokenCount: 3,
      logp: -2.5,
      finishReason: 'length',
      sampling: '{"temperature":0.7,"topP":0.9,"topK":50,"maxNewTokens":3}',
      seed: 2,
      source: 'generated',
      prompt: 'Name a colour.',
      messages: JSON.stringify(messages),
      promptSource: 'generate',
    });
    expect(hi?.candidateIds).toHaveLength(1);
  });

  it('uses the prompt an import stored, and a later import finds the generated candidate', () => {
    const pairs = new PairsRepo(temp.db);
    pairs.importPrompts([{ text: 'Say hi.', messages: null }]);
    const stored = repo.storeGenerated(null, [
      { text: 'Say hi.', messages: null, candidates: [candidate('Hi!', 1), candidate('Hello.', 2)] },
    ]);
    const imported = pairs.importPreferencePairs([{ prompt: 'Say hi.', chosen: 'Hi!', rejected: 'Go.' }]);
    expect(temp.db.prepare('SELECT COUNT(*) FROM prompts').pluck().get()).toBe(1);
    expect(imported.pairs[0]?.chosenCandidateId).toBe(stored.prompts[0]?.candidateIds[0]);
    expect(temp.db.prepare('SELECT COUNT(*) FROM candidates').pluck().get()).toBe(3);
  });

  it('stores nothing when a row fails (one transaction): here an unknown model id', () => {
    expect(() =>
      repo.storeGenerated(999, [{ text: 'Fine.', messages: null, candidates: [candidate('Ok.', 2)] }]),
    ).toThrow(/FOREIGN KEY/);
    expect(temp.db.prepare('SELECT COUNT(*) FROM candidates').pluck().get()).toBe(0);
    expect(temp.db.prepare('SELECT COUNT(*) FROM prompts').pluck().get()).toBe(0);
  });
});
