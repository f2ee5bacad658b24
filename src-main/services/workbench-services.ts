// The use cases behind the API contract: each method validated by the transport, implemented here over
// the store, with events emitted for other windows and tabs.
import { randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ApiHandlers, ApiParsedInput } from '../../src-shared/api';
import { ApiError } from '../../src-shared/errors';
import type { Choice, PairToRate, ScreenChoice } from '../../src-shared/schemas';
import { AnnotatorsRepo } from '../store/annotators-repo';
import { ComparisonsRepo } from '../store/comparisons-repo';
import { PairsRepo, type StoredPair } from '../store/pairs-repo';
import { probeDevice } from './device-probe';
import type { EventBus } from './event-bus';
import { parsePreferenceJsonl } from './parse-preference-jsonl';

export interface ServicesContext {
  db: Database.Database;
  dataDir: string;
  schemaVersion: number;
  appVersion: string;
  transport: 'ipc' | 'http';
  events: EventBus;
  /** Which side goes left; injectable so tests can pin it. Returns true to show candidate a on the left. */
  aOnLeft?: () => boolean;
}

/** Maps what the person pressed on screen onto the pair's sides, given which candidate was on the left. */
export function toPairChoice(pair: StoredPair, leftCandidateId: number, choice: ScreenChoice): Choice {
  const leftIsA = leftCandidateId === pair.candidateA.id;
  if (!leftIsA && leftCandidateId !== pair.candidateB.id) {
    throw new ApiError(
      'invalid_input',
      `leftCandidateId: ${leftCandidateId} is not a candidate of pair ${pair.id}`,
    );
  }
  if (choice === 'left') return leftIsA ? 'a' : 'b';
  if (choice === 'right') return leftIsA ? 'b' : 'a';
  return choice;
}

export function createServices(ctx: ServicesContext): ApiHandlers {
  const annotators = new AnnotatorsRepo(ctx.db);
  const pairs = new PairsRepo(ctx.db);
  const comparisons = new ComparisonsRepo(ctx.db);
  const aOnLeft = ctx.aOnLeft ?? (() => randomInt(2) === 0);
  annotators.getOrCreateDefault();

  function requireAnnotator(annotatorId: number): void {
    if (!annotators.exists(annotatorId)) {
      throw new ApiError('not_found', `annotatorId: no annotator with id ${annotatorId}`);
    }
  }

  function requirePair(pairId: number): StoredPair {
    const pair = pairs.getPair(pairId);
    if (!pair) throw new ApiError('not_found', `pairId: no pair with id ${pairId}`);
    return pair;
  }

  function shown(pair: StoredPair, leftIsA = aOnLeft()): PairToRate {
    const [left, right] = leftIsA ? [pair.candidateA, pair.candidateB] : [pair.candidateB, pair.candidateA];
    return {
      pairId: pair.id,
      prompt: pair.prompt,
      left: { candidateId: left.id, text: left.text },
      right: { candidateId: right.id, text: right.text },
    };
  }

  function submitRating(input: ApiParsedInput<'submitRating'>) {
    requireAnnotator(input.annotatorId);
    const pair = requirePair(input.pairId);
    const choice = toPairChoice(pair, input.leftCandidateId, input.choice);
    const comparisonId = comparisons.insert({
      pairId: pair.id,
      annotatorId: input.annotatorId,
      choice,
      strength: choice === 'a' || choice === 'b' ? input.strength : null,
      note: input.note?.trim() ? input.note.trim() : null,
      timeSpentMs: input.timeSpentMs,
      leftCandidateId: input.leftCandidateId,
    });
    ctx.events.emit('ratingsChanged', { annotatorId: input.annotatorId, pairId: pair.id, kind: 'rated' });
    return { comparisonId, progress: comparisons.progress(input.annotatorId) };
  }

  return {
    getAppInfo: () => ({
      version: ctx.appVersion,
      dataDir: ctx.dataDir,
      schemaVersion: ctx.schemaVersion,
      transport: ctx.transport,
    }),
    getDevice: ({ request }) => probeDevice(request),
    listAnnotators: () => annotators.list(),
    createAnnotator: ({ name }) => annotators.create(name),
    importPairs: ({ fileName, content }) => {
      const rows = parsePreferenceJsonl(fileName, content);
      const counts = pairs.importPreferencePairs(rows);
      const result = { fileName, rows: rows.length, ...counts };
      ctx.events.emit('pairsImported', result);
      return result;
    },
    nextPair: ({ annotatorId }) => {
      requireAnnotator(annotatorId);
      const next = comparisons.nextUnrated(annotatorId);
      return next ? shown(requirePair(next.pairId)) : null;
    },
    submitRating,
    undoRating: ({ annotatorId }) => {
      requireAnnotator(annotatorId);
      const undone = comparisons.undoLast(annotatorId);
      if (!undone) return { undonePairId: null, pair: null, progress: comparisons.progress(annotatorId) };
      ctx.events.emit('ratingsChanged', { annotatorId, pairId: undone.pairId, kind: 'undone' });
      const pair = requirePair(undone.pairId);
      return {
        undonePairId: pair.id,
        pair: shown(pair, undone.leftCandidateId === pair.candidateA.id),
        progress: comparisons.progress(annotatorId),
      };
    },
    getRatingProgress: ({ annotatorId }) => {
      requireAnnotator(annotatorId);
      return comparisons.progress(annotatorId);
    },
    listRatings: ({ annotatorId, limit }) => {
      requireAnnotator(annotatorId);
      return comparisons.listRecent(annotatorId, limit);
    },
  };
}
