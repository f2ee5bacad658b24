// The Generate view's plain helpers: sampling defaults from a model's generation_config.json (else
// transformers' own defaults), pasted prompts, stop strings as typed, and candidate scores as words.
import type { ModelVersion } from '../../../src-shared/api-models';

export interface SamplingForm {
  n: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  /** One stop string per line; `\n` and `\t` typed as two characters stand for a newline and a tab. */
  stopStrings: string;
}

/** transformers' GenerationConfig defaults, for what the checkpoint leaves unset. */
export const TRANSFORMERS_DEFAULTS = { temperature: 1, topP: 1, topK: 50, maxNewTokens: 64 } as const;

export function samplingDefaults(version: ModelVersion | undefined, previous?: SamplingForm): SamplingForm {
  const d = version?.generationDefaults;
  return {
    n: previous?.n ?? 4,
    seed: previous?.seed ?? 0,
    stopStrings: previous?.stopStrings ?? '',
    temperature: d?.temperature ?? TRANSFORMERS_DEFAULTS.temperature,
    topP: d?.topP ?? TRANSFORMERS_DEFAULTS.topP,
    topK: d?.topK ?? TRANSFORMERS_DEFAULTS.topK,
    maxNewTokens: d?.maxNewTokens ?? TRANSFORMERS_DEFAULTS.maxNewTokens,
  };
}

/** One prompt per non-empty line, trimmed, each once in first-seen order. */
export function parsePastedPrompts(text: string): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return [...new Set(lines)];
}

export function parseStopStrings(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .map((line) => line.replace(/\\n/g, '\n').replace(/\\t/g, '\t'));
}

/** One line under a candidate: its score, length, why it ended and the seed of its sampling stream. */
export function candidateMeta(c: {
  logp: number | null;
  tokenCount: number | null;
  finishReason: string | null;
  seed: number | null;
}): string {
  const parts = [
    logpWords(c.logp, c.tokenCount),
    `${c.tokenCount ?? '?'} tokens`,
    `ended by ${c.finishReason ?? 'import'}`,
  ];
  if (c.seed !== null) parts.push(`seed ${c.seed}`);
  return parts.join(' · ');
}

/** "-12.34 (-1.03/token)" for a summed log-prob over `tokens` tokens. */
export function logpWords(logp: number | null, tokens: number | null): string {
  if (logp === null) return 'no log-prob';
  const perToken = tokens && tokens > 0 ? ` (${(logp / tokens).toFixed(2)}/token)` : '';
  return `log-prob ${logp.toFixed(2)}${perToken}`;
}
