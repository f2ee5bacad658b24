// Before/after comparisons: two model versions answer one prompt set with the same seed (a job), the person
// votes item by item with the sides shuffled per item, and the reveal computes B's win rate over A with a
// 95% Wilson interval. While a blind comparison is unrevealed, nothing returned says which model is where.
import type Database from 'better-sqlite3';
import type { ApiParsedInput } from '../../../src-shared/api';
import type {
  CompareItem,
  CompareModelRef,
  CompareResult,
  CompareSampling,
  CompareSummary,
  Comparison,
  ComparePromptSource,
} from '../../../src-shared/compare-schemas';
import { ApiError } from '../../../src-shared/errors';
import type { ChatMessage } from '../../../src-shared/schemas';
import { winRate } from '../../../src-shared/win-rate';
import { deriveCandidateSeed } from '../../generate/index';
import {
  CompareRepo,
  type CompareItemRow,
  type CompareSessionRow,
  type NewCompareItem,
} from '../../store/compare-repo';
import type { ModelsRepo } from '../../store/models-repo';
import type { EventBus } from '../jobs/event-bus';
import type { GeneratedCandidate, GenerationHooks, GenerationRequest } from '../generate/generate-job';
import type { JobContext } from '../jobs/job-runner';

/** The part of GEN's runGeneration (services/generate-job.ts) a comparison uses; tests may pass their own. */
export type CompareGenerationRequest = Pick<
  GenerationRequest,
  'modelDir' | 'adapterDir' | 'prompts' | 'n' | 'maxNewTokens' | 'temperature' | 'topP' | 'topK' | 'seed'
>;

export type CompareGenerate = (
  req: CompareGenerationRequest,
  hooks: Pick<GenerationHooks, 'signal' | 'onProgress'>,
) => Promise<{ candidates: Array<Pick<GeneratedCandidate, 'promptId' | 'index' | 'text' | 'tokenCount'>> }>;

export interface CompareJobs {
  start<T>(kind: string, payload: unknown, work: (ctx: JobContext) => Promise<T>): number;
}

export interface CompareDeps {
  db: Database.Database;
  events: EventBus;
  models: Pick<ModelsRepo, 'get' | 'resolve'>;
  jobs: CompareJobs;
  generate: CompareGenerate;
}

interface SourcePrompt {
  promptId: number | null;
  text: string;
  messagesJson: string | null;
}

/** Side draws use their own stream of the session seed, apart from the sampling seeds. */
const SIDE_STREAM = 0x51de;

/** Whether model A's output goes left on item `position`: one seeded coin per item. */
export function aOnLeftAt(seed: number, position: number): boolean {
  return (deriveCandidateSeed(seed, position, SIDE_STREAM) & 1) === 0;
}

/** Counts of B's wins over A from the votes cast so far, and its win rate with a 95% Wilson interval. */
export function compareResult(items: readonly Pick<CompareItemRow, 'vote' | 'aOnLeft'>[]): CompareResult {
  const counts = { wins: 0, losses: 0, ties: 0, bothBad: 0 };
  let unvoted = 0;
  for (const item of items) {
    if (item.vote === null) unvoted += 1;
    else if (item.vote === 'tie') counts.ties += 1;
    else if (item.vote === 'both_bad') counts.bothBad += 1;
    else {
      const leftIsB = !item.aOnLeft;
      const bWon = item.vote === 'left' ? leftIsB : !leftIsB;
      if (bWon) counts.wins += 1;
      else counts.losses += 1;
    }
  }
  return { ...counts, unvoted, ...winRate(counts) };
}

function parseMessages(json: string | null): ChatMessage[] | null {
  return json === null ? null : (JSON.parse(json) as ChatMessage[]);
}

export function createCompareService(deps: CompareDeps) {
  const repo = new CompareRepo(deps.db);

  function requireModel(id: number, field: string): CompareModelRef {
    const model = deps.models.get(id);
    if (!model || model.removedAt !== null)
      throw new ApiError('not_found', `${field}: no model with id ${id}`);
    return { id: model.id, name: model.name };
  }

  /** A model of a stored comparison, named even when it was removed since. */
  function modelRef(id: number): CompareModelRef {
    const model = deps.models.get(id);
    if (!model) return { id, name: `model ${id} (deleted)` };
    return { id, name: model.removedAt === null ? model.name : `${model.name} (removed)` };
  }

  function requireSession(id: number): CompareSessionRow {
    const row = repo.get(id);
    if (!row) throw new ApiError('not_found', `comparisonId: no comparison with id ${id}`);
    return row;
  }

  function evalPromptsOfRun(runId: number): SourcePrompt[] {
    const run = deps.db
      .prepare<[number], { datasetId: number | null }>(
        'SELECT dataset_id AS datasetId FROM runs WHERE id = ?',
      )
      .get(runId);
    if (!run) throw new ApiError('not_found', `prompts.runId: no run with id ${runId}`);
    if (run.datasetId === null)
      throw new ApiError(
        'invalid_input',
        `prompts.runId: run ${runId} was trained from a file, not a dataset; give prompt ids or texts`,
      );
    const prompts = deps.db
      .prepare<[number], SourcePrompt>(
        `SELECT DISTINCT pr.id AS promptId, pr.text, pr.messages_json AS messagesJson
           FROM dataset_pairs dp JOIN pairs p ON p.id = dp.pair_id JOIN prompts pr ON pr.id = p.prompt_id
          WHERE dp.dataset_id = ? AND dp.split = 'eval' ORDER BY pr.id`,
      )
      .all(run.datasetId);
    if (prompts.length === 0)
      throw new ApiError(
        'invalid_input',
        `prompts.runId: the dataset of run ${runId} has no eval split (held-out prompts); give prompt ids or texts`,
      );
    return prompts;
  }

  /** The latest run whose output is model B: the default source of held-out prompts. */
  function runOfModel(modelBId: number): number {
    const run = deps.db
      .prepare<[number], { id: number }>(
        'SELECT id FROM runs WHERE output_model_id = ? ORDER BY id DESC LIMIT 1',
      )
      .get(modelBId);
    if (!run)
      throw new ApiError(
        'invalid_input',
        `prompts: model B (id ${modelBId}) was not trained here, so it has no held-out prompts; give prompt ids or texts`,
      );
    return run.id;
  }

  function sourcePrompts(source: ComparePromptSource): SourcePrompt[] {
    if (source.kind === 'run_eval') return evalPromptsOfRun(source.runId as number);
    if (source.kind === 'texts')
      return source.texts.map((text) => ({ promptId: null, text, messagesJson: null }));
    const byId = deps.db.prepare<[number], SourcePrompt>(
      'SELECT id AS promptId, text, messages_json AS messagesJson FROM prompts WHERE id = ?',
    );
    const missing: number[] = [];
    const found = [...new Set(source.promptIds)].flatMap((id) => {
      const prompt = byId.get(id);
      if (!prompt) missing.push(id);
      return prompt ? [prompt] : [];
    });
    if (missing.length > 0)
      throw new ApiError('not_found', `prompts.promptIds: no prompt with id ${missing.join(', ')}`);
    return found;
  }

  function summary(row: CompareSessionRow): CompareSummary {
    const hidden = row.blind && row.status !== 'revealed';
    return {
      id: row.id,
      status: row.status,
      blind: row.blind,
      promptSource: row.promptSource,
      runId: row.runId,
      sampling: { seed: row.seed, ...(JSON.parse(row.settingsJson) as Omit<CompareSampling, 'seed'>) },
      jobId: row.jobId,
      error: row.error,
      createdAt: row.createdAt,
      revealedAt: row.revealedAt,
      items: row.items,
      voted: row.voted,
      models: hidden ? null : { a: modelRef(row.modelAId), b: modelRef(row.modelBId) },
      result: row.resultJson === null ? null : (JSON.parse(row.resultJson) as CompareResult),
    };
  }

  function shownItem(item: CompareItemRow, hidden: boolean): CompareItem {
    const ready = item.outputA !== null && item.outputB !== null;
    const [left, right] = item.aOnLeft ? [item.outputA, item.outputB] : [item.outputB, item.outputA];
    return {
      position: item.position,
      prompt: item.promptText,
      promptMessages: parseMessages(item.promptMessagesJson),
      left: ready ? left : null,
      right: ready ? right : null,
      vote: item.vote,
      leftModel: hidden ? null : item.aOnLeft ? 'a' : 'b',
    };
  }

  function comparison(id: number): Comparison {
    const row = requireSession(id);
    const hidden = row.blind && row.status !== 'revealed';
    return { ...summary(row), itemList: repo.items(id).map((item) => shownItem(item, hidden)) };
  }

  /** Generates whatever outputs are missing, model A then model B, with the session's one seed. */
  async function generateOutputs(row: CompareSessionRow, ctx: JobContext): Promise<void> {
    const settings = JSON.parse(row.settingsJson) as Omit<CompareSampling, 'seed'>;
    const items = repo.items(row.id);
    // Items of one prompt are consecutive, candidate 0..n-1: the prompt index is position / n.
    const prompts = items
      .filter((item) => item.candidateIndex === 0)
      .map((item) => {
        const messages = parseMessages(item.promptMessagesJson);
        return {
          id: String(item.position / settings.n),
          ...(messages ? { messages } : { text: item.promptText }),
        };
      });
    const sides = (['a', 'b'] as const).filter((side) =>
      items.some((item) => (side === 'a' ? item.outputA : item.outputB) === null),
    );
    const total = sides.length * prompts.length;
    for (const [done, side] of sides.entries()) {
      const modelId = side === 'a' ? row.modelAId : row.modelBId;
      const { modelDir, adapterDir } = deps.models.resolve(modelId);
      ctx.progress(done * prompts.length, total, `model ${side.toUpperCase()}`);
      const generated = await deps.generate(
        {
          modelDir,
          ...(adapterDir ? { adapterDir } : {}),
          prompts,
          n: settings.n,
          maxNewTokens: settings.maxNewTokens,
          temperature: settings.temperature,
          topP: settings.topP,
          topK: settings.topK,
          seed: row.seed,
        },
        {
          signal: ctx.signal,
          onProgress: (p) =>
            ctx.progress(done * prompts.length + p.promptsDone, total, `model ${side.toUpperCase()}`),
        },
      );
      const outputs = generated.candidates.map((c) => ({
        position: Number(c.promptId) * settings.n + c.index,
        text: c.text,
        tokens: c.tokenCount,
      }));
      if (outputs.length !== items.length)
        throw new Error(
          `model ${side.toUpperCase()} returned ${outputs.length} outputs for ${items.length} items`,
        );
      repo.setOutputs(row.id, side, outputs);
    }
    ctx.progress(total, total);
  }

  function startGeneration(id: number): number {
    const jobId = deps.jobs.start('compare', { comparisonId: id }, async (ctx) => {
      try {
        await generateOutputs(requireSession(id), ctx);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        repo.setStatus(id, ctx.signal.aborted ? 'cancelled' : 'failed', message);
        deps.events.emit('comparisonsChanged', { comparisonId: id, kind: 'failed' });
        throw error;
      }
      repo.setStatus(id, 'voting');
      deps.events.emit('comparisonsChanged', { comparisonId: id, kind: 'generated' });
      return { comparisonId: id };
    });
    repo.setJob(id, jobId);
    return jobId;
  }

  function create(input: ApiParsedInput<'createComparison'>): CompareSummary {
    requireModel(input.modelAId, 'modelAId');
    requireModel(input.modelBId, 'modelBId');
    const source =
      input.prompts.kind === 'run_eval' && input.prompts.runId === undefined
        ? { kind: 'run_eval' as const, runId: runOfModel(input.modelBId) }
        : input.prompts;
    const prompts = sourcePrompts(source);
    const items: NewCompareItem[] = prompts.flatMap((prompt, p) =>
      Array.from({ length: input.n }, (_, candidateIndex) => {
        const position = p * input.n + candidateIndex;
        return {
          promptId: prompt.promptId,
          promptText: prompt.text,
          promptMessagesJson: prompt.messagesJson,
          candidateIndex,
          // Labelled comparisons keep A on the left; blind ones draw the side per item.
          aOnLeft: input.blind ? aOnLeftAt(input.seed, position) : true,
        };
      }),
    );
    const { n, maxNewTokens, temperature, topP, topK } = input;
    const id = repo.create(
      {
        modelAId: input.modelAId,
        modelBId: input.modelBId,
        promptSource: source.kind,
        runId: source.kind === 'run_eval' ? (source.runId ?? null) : null,
        seed: input.seed,
        settingsJson: JSON.stringify({ n, maxNewTokens, temperature, topP, topK }),
        blind: input.blind,
      },
      items,
    );
    startGeneration(id);
    deps.events.emit('comparisonsChanged', { comparisonId: id, kind: 'created' });
    return summary(requireSession(id));
  }

  function vote(input: ApiParsedInput<'voteComparison'>) {
    const row = requireSession(input.comparisonId);
    if (row.status === 'revealed')
      throw new ApiError('conflict', `comparison ${row.id} is revealed: its votes can no longer change`);
    if (row.status !== 'voting')
      throw new ApiError(
        'conflict',
        `comparison ${row.id} is ${row.status}: its outputs are not ready for votes`,
      );
    if (!repo.vote(row.id, input.position, input.vote))
      throw new ApiError('not_found', `position: comparison ${row.id} has no item ${input.position}`);
    deps.events.emit('comparisonsChanged', { comparisonId: row.id, kind: 'voted' });
    const after = requireSession(row.id);
    return { items: after.items, voted: after.voted };
  }

  function reveal(id: number): Comparison {
    const row = requireSession(id);
    if (row.status === 'revealed') return comparison(id);
    if (row.status !== 'voting')
      throw new ApiError('conflict', `comparison ${id} is ${row.status}: there is nothing to reveal yet`);
    if (row.voted === 0)
      throw new ApiError('conflict', `comparison ${id}: vote on at least one item before the reveal`);
    repo.reveal(id, JSON.stringify(compareResult(repo.items(id))));
    deps.events.emit('comparisonsChanged', { comparisonId: id, kind: 'revealed' });
    return comparison(id);
  }

  /** Starts generation again for what is missing; outputs already stored and votes are kept. */
  function resume(id: number): CompareSummary {
    const row = requireSession(id);
    if (row.status !== 'failed' && row.status !== 'cancelled' && row.status !== 'interrupted')
      throw new ApiError(
        'conflict',
        `comparison ${id} is ${row.status}: only a stopped generation can resume`,
      );
    repo.setStatus(id, 'generating');
    startGeneration(id);
    deps.events.emit('comparisonsChanged', { comparisonId: id, kind: 'resumed' });
    return summary(requireSession(id));
  }

  return {
    create,
    resume,
    get: comparison,
    vote,
    reveal,
    list: (limit: number) => repo.list(limit).map(summary),
    /** Generation cut off by a crash: mark it, so the view offers nothing to wait for. */
    markInterruptedAtStartup: () => repo.markInterruptedAtStartup(),
  };
}

export type CompareService = ReturnType<typeof createCompareService>;
