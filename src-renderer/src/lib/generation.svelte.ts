// The Generate view's state: the model and its sampling defaults, the prompts of this run (pasted or
// imported), the running job with its streamed text, the stored runs (jobs) with the candidates each one
// produced, and sending one run's candidates to rating as pairs. Server messages are kept verbatim.
import type { Job } from '../../../src-shared/api-jobs';
import type {
  CandidateLabel,
  GeneratedCandidateInfo,
  GenerationRun,
  GenerationRunSummary,
} from '../../../src-shared/api-generate';
import type { ModelVersion } from '../../../src-shared/api-models';
import type { RoundPlan } from '../../../src-shared/api-train';
import type { PairingStrategy } from '../../../src-shared/labeling-schemas';
import type { WorkbenchClient, WorkbenchEvent } from './api/workbench-client';
import { bytesToBase64 } from './download';
import { CallState } from './call-state.svelte';
import { errorMessage } from './error-message';
import {
  parsePastedPrompts,
  parseStopStrings,
  samplingDefaults,
  type SamplingForm,
} from './generation-settings';

export interface RunPrompt {
  promptId: number;
  text: string;
}

export interface PromptResults {
  promptId: number;
  prompt: string;
  candidates: GeneratedCandidateInfo[];
  /** Why this prompt has fewer than N candidates in the run; null when it has N. */
  shortfall: string | null;
}

const RUNS_LISTED = 20;
const MAX_RUN_PROMPTS = 1000;

/** Where a next round's prompts come from: the version's dataset, new ones, or both. */
export type RoundPromptSource = 'dataset' | 'new' | 'both';

const FINISHED: ReadonlySet<Job['status']> = new Set(['completed', 'failed', 'cancelled', 'interrupted']);
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export class GenerationSession extends CallState {
  readonly #api: WorkbenchClient;
  #models = $state.raw<readonly ModelVersion[]>([]);
  #modelsLoaded = $state(false);
  #modelId = $state<number | null>(null);
  #prompts = $state.raw<readonly RunPrompt[]>([]);
  #job = $state.raw<Job | null>(null);
  /** `${promptId}:${candidate}` -> text so far, for the running job. */
  #streams = $state.raw<Readonly<Record<string, string>>>({});
  #results = $state.raw<readonly PromptResults[]>([]);
  #runs = $state.raw<readonly GenerationRunSummary[]>([]);
  /** The run whose candidates are shown (and sent to rating); null before any run. */
  #runId = $state<number | null>(null);
  /** Where the last message belongs: beside the prompt inputs, or beside "Send to rating". */
  #messageAt = $state<'prompts' | 'send'>('prompts');
  settings = $state<SamplingForm>(samplingDefaults(undefined));
  /** "Next round" from a tuned version (Models view): what it samples from; null for an ordinary run. */
  #round = $state.raw<RoundPlan | null>(null);
  /** Thumbs changes of this session, newest last, each with the label it replaced (for Undo). */
  #labelChanges = $state.raw<readonly { candidateId: number; previous: CandidateLabel | null }[]>([]);

  constructor(api: WorkbenchClient) {
    super();
    this.#api = api;
  }

  get models(): readonly ModelVersion[] {
    return this.#models;
  }
  get modelsLoaded(): boolean {
    return this.#modelsLoaded;
  }
  get modelId(): number | null {
    return this.#modelId;
  }
  get model(): ModelVersion | undefined {
    return this.#models.find((m) => m.id === this.#modelId);
  }
  get prompts(): readonly RunPrompt[] {
    return this.#prompts;
  }
  get job(): Job | null {
    return this.#job;
  }
  get running(): boolean {
    return this.#job !== null && !FINISHED.has(this.#job.status);
  }
  get results(): readonly PromptResults[] {
    return this.#results;
  }
  get runs(): readonly GenerationRunSummary[] {
    return this.#runs;
  }
  get runId(): number | null {
    return this.#runId;
  }
  get messageAt(): 'prompts' | 'send' {
    return this.#messageAt;
  }

  /** A message shown where the action that caused it was. */
  #sayAt(place: 'prompts' | 'send', message: string): void {
    this.#messageAt = place;
    this.say(message);
  }

  streamed(promptId: number, candidate: number): string | undefined {
    return this.#streams[`${promptId}:${candidate}`];
  }

  /**
   * Picks up the latest generation job when it is still running (the view was left and opened again, or
   * another tab started it): its model, prompts and settings, with its progress from here on.
   */
  async resumeLatest(): Promise<void> {
    try {
      await this.loadRuns();
      const [latest] = await this.#api.listJobs({ kind: 'generate', limit: 1 });
      if (!latest || this.#job !== null) return;
      if (FINISHED.has(latest.status)) {
        // Nothing running: show the latest run, as it was left (its results and "Send to rating").
        if (this.#runId === null && this.#prompts.length === 0) await this.selectRun(latest.id);
        return;
      }
      const payload = latest.payload as Record<string, unknown>;
      const promptIds = payload.promptIds as number[] | undefined;
      if (!promptIds || typeof payload.modelId !== 'number') return;
      const prompts = await this.#api.listPromptCandidates({ promptIds });
      if (this.#job !== null) return;
      this.#modelId = payload.modelId;
      this.#prompts = prompts.map((p) => ({ promptId: p.promptId, text: p.prompt }));
      const numbers = ['n', 'maxNewTokens', 'temperature', 'topP', 'topK', 'seed'] as const;
      const settings = { ...this.settings };
      for (const key of numbers) if (typeof payload[key] === 'number') settings[key] = payload[key];
      this.settings = settings;
      this.#job = latest;
      // It may have finished while the prompts were fetched (its last event ignored then): look once more.
      const [now] = await this.#api.listJobs({ kind: 'generate', limit: 1 });
      if (now?.id === latest.id && FINISHED.has(now.status) && this.#job?.id === now.id && this.running) {
        this.#job = now;
        await this.#finished(now.id);
      }
    } catch (error) {
      this.fail(`Could not look for a running generation: ${errorMessage(error)}`);
    }
  }

  /** The stored runs, newest first. */
  async loadRuns(): Promise<void> {
    try {
      this.#runs = await this.#api.listGenerationRuns({ limit: RUNS_LISTED });
    } catch (error) {
      this.fail(`Could not list the generation runs: ${errorMessage(error)}`);
    }
  }

  /** Shows a stored run: its model, prompts, settings and the candidates it produced. */
  async selectRun(jobId: number): Promise<void> {
    if (this.running) return;
    let run: GenerationRun;
    try {
      run = await this.#api.getGenerationRun({ jobId });
    } catch (error) {
      this.fail(`Could not load run ${jobId}: ${errorMessage(error)}`);
      return;
    }
    this.#runId = run.jobId;
    if (run.modelId !== null && this.#models.some((m) => m.id === run.modelId)) this.#modelId = run.modelId;
    const numbers = ['n', 'maxNewTokens', 'temperature', 'topP', 'topK', 'seed'] as const;
    const settings = { ...this.settings };
    for (const key of numbers) {
      const value = run.settings[key];
      if (typeof value === 'number') settings[key] = value;
    }
    this.settings = settings;
    this.#prompts = run.results.map((r) => ({ promptId: r.promptId, text: r.prompt }));
    this.#streams = {};
    this.#results = run.results;
    if (this.#job?.id !== run.jobId) this.#job = null;
  }

  async loadModels(): Promise<void> {
    try {
      this.#models = await this.#api.listModels({});
      this.#modelsLoaded = true;
      if (!this.model) {
        const preferred = this.#models.find((m) => m.kind === 'embedded') ?? this.#models[0];
        this.selectModel(preferred?.id ?? null);
      }
    } catch (error) {
      this.fail(`Could not load models: ${errorMessage(error)}`);
    }
  }

  /** Chooses the model and takes its sampling defaults (N, seed and stop strings stay). */
  selectModel(modelId: number | null): void {
    this.#modelId = modelId;
    this.settings = samplingDefaults(this.model, this.settings);
  }

  /** Stores the pasted prompts (one per line) and makes them this run's prompts. */
  async usePasted(text: string): Promise<boolean> {
    const texts = parsePastedPrompts(text);
    if (texts.length === 0) {
      this.fail('Type or paste at least one prompt (one per line).');
      return false;
    }
    const added = await this.run(() => this.#api.addPrompts({ texts }));
    if (!added) return false;
    this.#setPrompts(added.promptIds.map((promptId, i) => ({ promptId, text: texts[i] ?? '' })));
    this.#sayAt('prompts', `${texts.length} prompt(s) ready (${added.promptsAdded} new).`);
    return true;
  }

  /** The most recently stored prompts (pasted, imported or from pair files), in the order they were stored. */
  async useRecent(limit: number): Promise<void> {
    const recent = await this.run(() => this.#api.listPrompts({ limit }));
    if (!recent) return;
    if (recent.length === 0) {
      this.fail('No prompts are stored yet: paste some or import a file.');
      return;
    }
    // listPrompts answers newest first; the run keeps them in the order they were stored.
    this.#setPrompts(recent.map((p) => ({ promptId: p.promptId, text: p.text })).reverse());
    this.#sayAt('prompts', `The ${recent.length} most recent prompt(s) are ready.`);
  }

  /** Imports a .txt / .jsonl / .csv / .parquet prompt file and makes its prompts this run's prompts. */
  async importFile(file: File): Promise<void> {
    if (file.size > MAX_FILE_BYTES) {
      this.fail(`${file.name}: file is larger than 64 MiB`);
      return;
    }
    const binary = file.name.toLowerCase().endsWith('.parquet');
    const content = binary ? bytesToBase64(new Uint8Array(await file.arrayBuffer())) : await file.text();
    const imported = await this.run(async () => {
      const result = await this.#api.importPrompts({
        fileName: file.name,
        content,
        encoding: binary ? 'base64' : 'utf8',
      });
      const unique = result.promptIds.filter((id, i, all) => all.indexOf(id) === i);
      const withText = await this.#api.listPromptCandidates({ promptIds: unique });
      return { result, prompts: withText.map((p) => ({ promptId: p.promptId, text: p.prompt })) };
    });
    if (!imported) return;
    this.#setPrompts(imported.prompts);
    const { result } = imported;
    this.#sayAt(
      'prompts',
      `${result.fileName}: ${result.rows} rows (${result.format}), ${result.promptsAdded} new prompts, ` +
        `${result.duplicatesSkipped} already stored.`,
    );
  }

  async start(): Promise<void> {
    const model = this.model;
    if (!model || this.#prompts.length === 0 || this.running) return;
    const s = this.settings;
    this.#streams = {};
    this.#results = [];
    this.#runId = null;
    const started = await this.run(() =>
      this.#api.startGeneration({
        modelId: model.id,
        promptIds: this.#prompts.map((p) => p.promptId),
        n: s.n,
        maxNewTokens: s.maxNewTokens,
        temperature: s.temperature,
        topP: s.topP,
        topK: s.topK,
        seed: s.seed,
        stopStrings: parseStopStrings(s.stopStrings),
      }),
    );
    if (!started) return;
    const jobs = await this.#api.listJobs({ kind: 'generate', limit: 5 });
    // The job may already have moved on (jobsChanged arrives as well); keep the newest state known.
    this.#job =
      this.#job?.id === started.jobId ? this.#job : (jobs.find((j) => j.id === started.jobId) ?? null);
    if (this.#job && FINISHED.has(this.#job.status)) await this.#finished(this.#job.id);
    else void this.loadRuns();
  }

  async cancel(): Promise<void> {
    const job = this.#job;
    if (!job) return;
    await this.run(() => this.#api.cancelJob({ jobId: job.id }));
  }

  /** Server events: this run's job state and streamed text. */
  onEvent(event: WorkbenchEvent): void {
    if (event.event === 'jobsChanged') {
      const job = event.payload;
      if (job.kind !== 'generate') return;
      if (this.#job !== null && job.id !== this.#job.id) return;
      if (this.#job === null && !this.busy) return;
      const wasRunning = this.running;
      this.#job = job;
      if (FINISHED.has(job.status) && (wasRunning || this.#results.length === 0)) void this.#finished(job.id);
    } else if (event.event === 'generationTokens') {
      if (event.payload.jobId !== this.#job?.id) return;
      const next = { ...this.#streams };
      for (const update of event.payload.updates)
        next[`${update.promptId}:${update.candidate}`] = update.text;
      this.#streams = next;
    } else if (event.event === 'modelsChanged') {
      void this.loadModels();
    }
  }

  /** Pairs for the Rate view from the shown run's candidates of each prompt, with one strategy. */
  async sendToRating(strategy: PairingStrategy, count: number, seed: number): Promise<void> {
    const ready = this.#results.filter((r) => r.candidates.length >= 2);
    const promptIds = ready.map((r) => r.promptId);
    if (promptIds.length === 0) {
      this.fail('No prompt has two different candidates to pair yet.');
      return;
    }
    // Uncertainty scores the candidates under the selected model version (its implicit rewards).
    const modelId = strategy === 'uncertainty' ? (this.#modelId ?? undefined) : undefined;
    if (strategy === 'uncertainty' && modelId === undefined) {
      this.fail('Choose a model: uncertainty pairs come from its rewards.');
      return;
    }
    let note: string | null = null;
    const totals = await this.run(async () => {
      const sum = { pairsAdded: 0, duplicatesSkipped: 0, dropped: 0 };
      for (const { promptId, candidates } of ready) {
        const made = await this.#api.createPairs({
          promptId,
          candidateIds: candidates.map((c) => c.id),
          strategy,
          count,
          seed,
          ...(modelId ? { modelId } : {}),
        });
        note = made.uncertainty?.note ?? note;
        sum.pairsAdded += made.pairsAdded;
        sum.duplicatesSkipped += made.duplicatesSkipped;
        sum.dropped += made.candidatesDropped.length;
      }
      return sum;
    });
    if (!totals) return;
    this.#sayAt(
      'send',
      `${totals.pairsAdded} pair(s) sent to rating from ${promptIds.length} prompt(s) of run ${this.#runId}; ` +
        `${totals.duplicatesSkipped} already there, ${totals.dropped} near-duplicate candidate(s) left out.` +
        (note ? ` Note: ${note}.` : ''),
    );
  }

  get round(): RoundPlan | null {
    return this.#round;
  }

  /** Starts a next round from a tuned version: its plan, and the version as the model to sample. */
  async openRound(modelId: number): Promise<void> {
    if (this.running) {
      this.fail('A generation is running: wait for it or cancel it before starting a next round.');
      return;
    }
    const plan = await this.run(() => this.#api.getRoundPlan({ modelId }));
    if (!plan) return;
    this.#round = plan;
    this.selectModel(plan.modelId);
    this.#setPrompts([]);
  }

  /**
   * The round's prompts: its dataset's training prompts, new ones (stored like pasted prompts), or both.
   * A new prompt that is one of the dataset's held-out prompts is left out: those measure the rounds.
   */
  async useRoundPrompts(source: RoundPromptSource, newText: string): Promise<boolean> {
    const plan = this.#round;
    if (!plan) return false;
    const texts = source === 'dataset' ? [] : parsePastedPrompts(newText);
    if (source !== 'dataset' && texts.length === 0) {
      this.fail('Type or paste at least one new prompt (one per line).');
      return false;
    }
    const fromDataset = source === 'new' ? [] : plan.prompts;
    if (source === 'dataset' && fromDataset.length === 0) {
      this.fail(
        `"${plan.modelName}" has no dataset prompts here (it was not trained here): add new prompts.`,
      );
      return false;
    }
    const added = await this.run(async () =>
      texts.length === 0 ? { promptIds: [], promptsAdded: 0 } : this.#api.addPrompts({ texts }),
    );
    if (!added) return false;
    const typed = added.promptIds.map((promptId, i) => ({ promptId, text: texts[i] ?? '' }));
    const kept = typed.filter((p) => !plan.heldOutPromptIds.includes(p.promptId));
    const prompts = [...fromDataset, ...kept].filter(
      (p, i, all) => all.findIndex((q) => q.promptId === p.promptId) === i,
    );
    if (prompts.length > MAX_RUN_PROMPTS) {
      this.fail(`${prompts.length} prompts: one generation takes at most ${MAX_RUN_PROMPTS}.`);
      return false;
    }
    if (prompts.length === 0) {
      this.fail('Every new prompt is one of the held-out prompts, which never reach training.');
      return false;
    }
    this.selectModel(plan.modelId);
    this.#setPrompts(prompts);
    const dropped = typed.length - kept.length;
    this.#sayAt(
      'prompts',
      `${prompts.length} prompt(s) for round ${plan.round}: ${fromDataset.length} from the dataset, ` +
        `${kept.length} new` +
        (dropped > 0 ? `; ${dropped} held-out prompt(s) left out (they measure the rounds).` : '.'),
    );
    return true;
  }

  get canUndoLabel(): boolean {
    return this.#labelChanges.length > 0;
  }

  /** Thumbs up / down on one candidate (KTO's label); the same thumb again clears it. */
  async toggleLabel(candidateId: number, label: CandidateLabel): Promise<void> {
    const current = this.#results.flatMap((r) => r.candidates).find((c) => c.id === candidateId)?.label;
    const next = current === label ? null : label;
    const done = await this.run(() => this.#api.labelCandidate({ candidateId, label: next }));
    if (!done) return;
    this.#labelChanges = [...this.#labelChanges, { candidateId, previous: done.previous }];
    this.#showLabel(candidateId, done.label);
  }

  /** Puts back the label the last thumbs change replaced. */
  async undoLabel(): Promise<void> {
    const last = this.#labelChanges.at(-1);
    if (!last) return;
    const done = await this.run(() =>
      this.#api.labelCandidate({ candidateId: last.candidateId, label: last.previous }),
    );
    if (!done) return;
    this.#labelChanges = this.#labelChanges.slice(0, -1);
    this.#showLabel(last.candidateId, done.label);
  }

  #showLabel(candidateId: number, label: CandidateLabel | null): void {
    this.#results = this.#results.map((r) =>
      r.candidates.some((c) => c.id === candidateId)
        ? { ...r, candidates: r.candidates.map((c) => (c.id === candidateId ? { ...c, label } : c)) }
        : r,
    );
  }

  /** A run finished: list it and show what it stored. */
  async #finished(jobId: number): Promise<void> {
    await this.loadRuns();
    await this.selectRun(jobId);
  }

  #setPrompts(prompts: RunPrompt[]): void {
    this.#prompts = prompts;
    this.#results = [];
    this.#runId = null;
    this.#streams = {};
    this.#job = null;
  }
}
