// The Generate view's use cases: prompts pasted or imported from a file, best-of-N sampling from a model
// version run as a job (runGeneration), its text streamed in batches, the finished candidates stored with
// their log-prob, finish reason, sampling and seed, and the candidates listed per prompt.
import type Database from 'better-sqlite3';
import type { ApiHandlers, ApiParsedInput } from '../../../src-shared/api';
import type {
  CandidateLabel,
  generateContract,
  GeneratedCandidateInfo,
  GenerationRun,
  GenerationRunPrompt,
  GenerationRunSummary,
  TokenUpdate,
} from '../../../src-shared/api-generate';
import type { Job } from '../../../src-shared/api-jobs';
import { ApiError } from '../../../src-shared/errors';
import type { ChatMessage } from '../../../src-shared/schemas';
import { CandidateLabelsRepo } from '../../store/candidate-labels-repo';
import { CandidatesRepo, type GeneratedPromptRow } from '../../store/candidates-repo';
import { PairsRepo } from '../../store/pairs-repo';
import { loadGenerator } from '../../generate/index';
import { runGeneration, type GenerationPrompt, type GenerationResult } from './generate-job';
import { GeneratorCache } from './generator-cache';
import { parseImportFile } from '../import/parse-import-file';
import type { JobContext, JobRunner } from '../jobs/job-runner';
import { decode } from '../labeling/labeling-handlers';
import type { ModelsService } from '../models/models-service';

export const GENERATE_JOB_KIND = 'generate';
const TOKEN_BATCH_MS = 100;

export interface GenerationServiceDeps {
  db: Database.Database;
  jobs: JobRunner;
  models: ModelsService;
  /** The sampler; tests may wrap it. */
  run?: typeof runGeneration;
}

interface StoredPrompt {
  id: number;
  text: string;
  messagesJson: string | null;
}

/** What a finished generation job stores as its result. */
export interface GenerationJobResult {
  modelId: number;
  prompts: { promptId: number; candidateIds: number[] }[];
  candidatesAdded: number;
  duplicatesSkipped: number;
  tokens: number;
  seconds: number;
  device: string;
  deviceNote: string | null;
}

type StartInput = ApiParsedInput<'startGeneration'>;

export function createGenerationService({ db, jobs, models, run = runGeneration }: GenerationServiceDeps) {
  const candidates = new CandidatesRepo(db);
  const generators = new GeneratorCache();
  jobs.onClose(() => generators.close());
  const pairs = new PairsRepo(db);
  const labels = new CandidateLabelsRepo(db);
  const promptById = db.prepare<[number], StoredPrompt>(
    'SELECT id, text, messages_json AS messagesJson FROM prompts WHERE id = ?',
  );
  const candidatesOf = db.prepare<[number], GeneratedCandidateInfo>(
    `SELECT id, prompt_id AS promptId, model_id AS modelId, text, logp, token_count AS tokenCount,
            finish_reason AS finishReason, seed,
            (SELECT label FROM candidate_labels l WHERE l.candidate_id = candidates.id) AS label
       FROM candidates WHERE prompt_id = ? ORDER BY id`,
  );

  function requirePrompt(promptId: number): StoredPrompt {
    const prompt = promptById.get(promptId);
    if (!prompt) throw new ApiError('not_found', `promptIds: no prompt with id ${promptId}`);
    return prompt;
  }

  function listPrompts(limit: number) {
    return db
      .prepare<[number], { promptId: number; text: string; candidates: number; createdAt: string }>(
        `SELECT p.id AS promptId, p.text, p.created_at AS createdAt,
                (SELECT COUNT(*) FROM candidates c WHERE c.prompt_id = p.id) AS candidates
           FROM prompts p ORDER BY p.id DESC LIMIT ?`,
      )
      .all(limit);
  }

  function addPrompts(texts: readonly string[]) {
    return pairs.importPrompts(texts.map((text) => ({ text, messages: null })));
  }

  async function importPrompts(fileName: string, bytes: Uint8Array) {
    const parsed = await parseImportFile(fileName, bytes, 'prompts');
    if (parsed.kind !== 'prompts') throw new ApiError('bad_file', `${fileName}: holds pairs, not prompts`);
    const counts = pairs.importPrompts(parsed.prompts);
    return { fileName, format: parsed.format, rows: parsed.prompts.length, ...counts };
  }

  /** Thumbs up / down on one candidate; the label it replaced comes back for an undo. */
  function labelCandidate(candidateId: number, label: CandidateLabel | null) {
    if (!candidateById.get(candidateId))
      throw new ApiError('not_found', `candidateId: no candidate with id ${candidateId}`);
    const previous = labels.set(candidateId, label);
    return { candidateId, label, previous };
  }

  function listPromptCandidates(promptIds: readonly number[], modelId?: number) {
    return promptIds.map((promptId) => {
      const prompt = requirePrompt(promptId);
      const all = candidatesOf.all(promptId);
      const shown = modelId === undefined ? all : all.filter((c) => c.modelId === modelId);
      return { promptId, prompt: prompt.text, candidates: shown };
    });
  }

  const candidateById = db.prepare<[number], GeneratedCandidateInfo>(
    `SELECT id, prompt_id AS promptId, model_id AS modelId, text, logp, token_count AS tokenCount,
            finish_reason AS finishReason, seed,
            (SELECT label FROM candidate_labels l WHERE l.candidate_id = candidates.id) AS label
       FROM candidates WHERE id = ?`,
  );

  function summary(job: Job): GenerationRunSummary {
    const payload = (job.payload ?? {}) as { modelId?: number; n?: number; promptIds?: number[] };
    const result = job.result as GenerationJobResult | null;
    const distinct = new Set(result?.prompts.flatMap((p) => p.candidateIds) ?? []);
    return {
      jobId: job.id,
      status: job.status,
      modelId: payload.modelId ?? null,
      n: payload.n ?? 0,
      prompts: payload.promptIds?.length ?? 0,
      candidates: distinct.size,
      createdAt: job.createdAt,
    };
  }

  function listRuns(limit: number): GenerationRunSummary[] {
    return jobs.list({ kind: GENERATE_JOB_KIND, limit }).map(summary);
  }

  /** Why a prompt of a run has fewer than N candidates, in words; null when it has N. */
  function shortfall(n: number, sampled: number, distinct: number, status: string): string | null {
    if (distinct >= n) return null;
    const reasons: string[] = [];
    if (sampled > distinct) {
      const repeats = sampled - distinct;
      reasons.push(
        `${repeats} sample${repeats === 1 ? '' : 's'} repeated another's text word for word (stored once)`,
      );
    }
    if (sampled < n) {
      const missing = n - sampled;
      const why = status === 'cancelled' ? 'the run was cancelled first' : `the run ${status} first`;
      reasons.push(`${missing} did not finish (${status === 'completed' ? 'not stored' : why})`);
    }
    return `${distinct} of ${n} candidates: ${reasons.join('; ')}.`;
  }

  function getRun(jobId: number): GenerationRun {
    const job = jobs.get(jobId);
    if (!job || job.kind !== GENERATE_JOB_KIND)
      throw new ApiError('not_found', `jobId: no generation run with id ${jobId}`);
    const base = summary(job);
    const payload = (job.payload ?? {}) as Record<string, unknown> & { promptIds?: number[] };
    const result = job.result as GenerationJobResult | null;
    const sampled = new Map(result?.prompts.map((p) => [p.promptId, p.candidateIds]) ?? []);
    const results: GenerationRunPrompt[] = (payload.promptIds ?? []).flatMap((promptId) => {
      const prompt = promptById.get(promptId);
      if (!prompt) return [];
      const ids = sampled.get(promptId) ?? [];
      const distinct = [...new Set(ids)];
      const candidates = distinct.flatMap((id) => candidateById.get(id) ?? []);
      const finished = result !== null;
      return [
        {
          promptId,
          prompt: prompt.text,
          candidates,
          shortfall: finished ? shortfall(base.n, ids.length, distinct.length, job.status) : null,
        },
      ];
    });
    const { promptIds: _promptIds, ...settings } = payload;
    return { ...base, settings, results };
  }

  /** Validates the request, then samples in a job; returns the job id at once. */
  function start(input: StartInput): number {
    const model = models.requireModel(input.modelId);
    const stored = input.promptIds.map(requirePrompt);
    if (new Set(input.promptIds).size !== input.promptIds.length) {
      throw new ApiError('invalid_input', 'promptIds: a prompt is listed twice');
    }
    const { modelDir, adapterDir } = models.repo.resolve(model.id);
    const prompts: GenerationPrompt[] = stored.map((p) =>
      p.messagesJson
        ? { id: String(p.id), messages: JSON.parse(p.messagesJson) as ChatMessage[] }
        : { id: String(p.id), text: p.text },
    );
    const { modelId, promptIds, ...settings } = input;
    return jobs.start(GENERATE_JOB_KIND, { modelId, promptIds, ...settings }, async (ctx) => {
      const stream = tokenBatcher(ctx);
      const lease = await generators.acquire(`${modelDir}\n${adapterDir ?? ''}\n${settings.device}`, () =>
        loadGenerator({ modelDir, ...(adapterDir ? { adapterDir } : {}), device: settings.device }),
      );
      let result: GenerationResult;
      try {
        result = await run(
          {
            modelDir,
            ...(adapterDir ? { adapterDir } : {}),
            device: settings.device,
            prompts,
            n: settings.n,
            maxNewTokens: settings.maxNewTokens,
            seed: settings.seed,
            stopStrings: settings.stopStrings,
            ...optional('temperature', settings.temperature),
            ...optional('topP', settings.topP),
            ...optional('topK', settings.topK),
          },
          {
            signal: ctx.signal,
            generator: lease.generator,
            onToken: (e) =>
              stream.push({
                promptId: Number(e.promptId),
                candidate: e.candidate,
                text: e.textSoFar,
                done: e.done,
              }),
            onProgress: (p) =>
              ctx.progress(
                p.promptsDone,
                p.promptsTotal,
                `${p.tokens} tokens, ${p.tokensPerSecond.toFixed(1)} tokens/s`,
              ),
          },
        );
      } finally {
        stream.flush();
        await lease.release();
      }
      return storeResult(modelId, stored, result);
    });
  }

  /** Stores the finished candidates (a cancelled run keeps those that had finished). */
  function storeResult(
    modelId: number,
    stored: readonly StoredPrompt[],
    result: GenerationResult,
  ): GenerationJobResult {
    const rows: GeneratedPromptRow[] = stored.map((p) => ({
      text: p.text,
      messages: p.messagesJson ? (JSON.parse(p.messagesJson) as ChatMessage[]) : null,
      candidates: result.candidates
        .filter((c) => c.promptId === String(p.id) && c.finishReason !== 'cancelled')
        .sort((a, b) => a.index - b.index),
    }));
    const saved = candidates.storeGenerated(modelId, rows);
    return {
      modelId,
      prompts: saved.prompts,
      candidatesAdded: saved.candidatesAdded,
      duplicatesSkipped: saved.duplicatesSkipped,
      tokens: result.tokens,
      seconds: result.seconds,
      device: result.device,
      deviceNote: result.deviceNote ?? null,
    };
  }

  return {
    listPrompts,
    addPrompts,
    importPrompts,
    listPromptCandidates,
    labelCandidate,
    start,
    listRuns,
    getRun,
  };
}

export type GenerationService = ReturnType<typeof createGenerationService>;

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** Keeps the latest text of each candidate and sends them together every TOKEN_BATCH_MS. */
function tokenBatcher(ctx: JobContext) {
  const latest = new Map<string, TokenUpdate>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (latest.size === 0) return;
    ctx.emit('generationTokens', { jobId: ctx.jobId, updates: [...latest.values()] });
    latest.clear();
  };
  const push = (update: TokenUpdate) => {
    latest.set(`${update.promptId}:${update.candidate}`, update);
    timer ??= setTimeout(flush, TOKEN_BATCH_MS);
  };
  return { push, flush };
}

export function createGenerationHandlers(
  generation: GenerationService,
): Pick<ApiHandlers, keyof typeof generateContract> {
  return {
    listPrompts: ({ limit }) => generation.listPrompts(limit),
    addPrompts: ({ texts }) => {
      const { promptIds, promptsAdded } = generation.addPrompts(texts);
      return { promptIds, promptsAdded };
    },
    importPrompts: ({ fileName, content, encoding }) =>
      generation.importPrompts(fileName, decode(content, encoding)),
    startGeneration: (input) => ({ jobId: generation.start(input) }),
    listPromptCandidates: ({ promptIds, modelId }) => generation.listPromptCandidates(promptIds, modelId),
    labelCandidate: ({ candidateId, label }) => generation.labelCandidate(candidateId, label),
    listGenerationRuns: ({ limit }) => generation.listRuns(limit),
    getGenerationRun: ({ jobId }) => generation.getRun(jobId),
  };
}
