// KL(version || base) of a tuned version on held-out prompts: samples drawn from the version (temperature 1),
// each scored under the version (base + its adapter) and under the base checkpoint; the estimate is the mean
// summed log-ratio (train/sequence-kl.ts). A base version (no adapter) is 0 by definition.
import { loadCheckpoint, loadPeftAdapter, type ModelTokenizer } from '../../models/index';
import type { DeviceRequest } from '../../runtime/index';
import type { ModelsRepo } from '../../store/models-repo';
import { sequenceKl, type KlEstimate, type KlSample } from '../../train/index';
import { runGeneration } from '../generate/generate-job';
import { loadTokenizer } from '../train/run-files';

export interface VersionKlOptions {
  /** Samples per prompt. */
  n: number;
  maxNewTokens: number;
  seed: number;
  device?: DeviceRequest;
}

export interface VersionKlHooks {
  /** Stops the sampling within a decode step (the caller discards what came back). */
  signal?: AbortSignal;
  /** Prompts whose samples are all drawn so far. */
  onSampled?: (prompts: number) => void;
}

/** The prompt's token ids as the generator encodes them (onnx-decoder.ts generatorTokenizer). */
function promptIds(tokenizer: ModelTokenizer, text: string): number[] {
  return tokenizer.hasChatTemplate
    ? tokenizer.encodeChat([{ role: 'user', content: text }], { addGenerationPrompt: true })
    : tokenizer.encode(text);
}

export async function versionKl(
  models: Pick<ModelsRepo, 'resolve'>,
  modelId: number,
  prompts: readonly string[],
  options: VersionKlOptions,
  hooks: VersionKlHooks = {},
): Promise<KlEstimate> {
  const { modelDir, adapterDir } = models.resolve(modelId);
  if (!adapterDir) return { kl: 0, stderr: 0, n: 0 };
  const generated = await runGeneration(
    {
      modelDir,
      adapterDir,
      prompts: prompts.map((text, i) => ({ id: String(i), text })),
      n: options.n,
      maxNewTokens: options.maxNewTokens,
      temperature: 1,
      topP: 1,
      topK: 0,
      seed: options.seed,
      ...(options.device ? { device: options.device } : {}),
    },
    {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onProgress: (p) => hooks.onSampled?.(p.promptsDone),
    },
  );
  hooks.signal?.throwIfAborted();
  const base = loadCheckpoint(modelDir);
  const tokenizer = loadTokenizer(modelDir, base.config);
  const encoded = prompts.map((text) => promptIds(tokenizer, text));
  const samples: KlSample[] = generated.candidates.map((c) => ({
    prompt: encoded[Number(c.promptId)] as number[],
    completion: c.tokenIds,
  }));
  const lora = loadPeftAdapter(adapterDir, base.config).weights;
  const { kl, stderr, n } = await sequenceKl(base, lora, samples, {
    padTokenId: tokenizer.padTokenId ?? base.config.padTokenId ?? 0,
    ...(options.device ? { device: options.device } : {}),
  });
  return { kl, stderr, n };
}
