// `logprobs`: the sequence log-probs of every PAIRS.jsonl row under a model (and optionally a PEFT adapter),
// written one JSON row per input row, in order.
import { writeFile } from 'node:fs/promises';
import { loadCheckpoint, loadPeftAdapter, ModelTokenizer, type Checkpoint } from '../../models/index';
import type { Device, DeviceRequest } from '../../runtime/index';
import {
  buildCompletionScoringGraph,
  headChunksFor,
  openGraph,
  pairsNeedTokenizer,
  readPairs,
  scorePairs,
  type PairExample,
  type PairLogps,
} from '../../train/index';

export interface LogprobsJobOptions {
  model: string;
  adapter?: string;
  data: string;
  out: string;
  device?: DeviceRequest;
  batchSize?: number;
}

/**
 * The checkpoint and the data's examples (the tokenizer is loaded only for text rows); `read` turns the file
 * into examples (preference rows by default; KTO's unpaired rows with their KL completions for `train kto`).
 */
export async function loadModelAndPairs(
  modelDir: string,
  dataPath: string,
  read: (path: string, tokenizer?: ModelTokenizer) => Promise<PairExample[]> = readPairs,
): Promise<{ model: Checkpoint; examples: PairExample[]; padTokenId: number }> {
  const model = loadCheckpoint(modelDir);
  const { config } = model;
  const tokenizer = (await pairsNeedTokenizer(dataPath))
    ? ModelTokenizer.load(modelDir, { vocabSize: config.vocabSize, eosTokenIds: config.eosTokenIds })
    : undefined;
  const examples = await read(dataPath, tokenizer);
  examples.forEach((e, i) => {
    const bad = [...e.prompt, ...e.chosen, ...e.rejected].find((id) => id >= config.vocabSize);
    if (bad !== undefined)
      throw new Error(
        `${dataPath}: pair ${i + 1} has token id ${bad}, outside the vocabulary of ${config.vocabSize}`,
      );
  });
  return { model, examples, padTokenId: tokenizer?.padTokenId ?? config.padTokenId ?? 0 };
}

export async function runLogprobsJob(
  options: LogprobsJobOptions,
): Promise<{ rows: number; device: Device; reason?: string }> {
  const { model, examples, padTokenId } = await loadModelAndPairs(options.model, options.data);
  const { positions, maxPositions } = model.config;
  examples.forEach((e, i) => {
    // Scored whole (no truncation): a learned position table has no row past its end.
    const longest = e.prompt.length + Math.max(e.chosen.length, e.rejected.length);
    if (positions === 'learned' && longest > maxPositions)
      throw new Error(
        `${options.data}: pair ${i + 1} has ${longest} tokens; the model has ${maxPositions} positions`,
      );
  });
  const { rows, device, reason } = await scoreExamples(model, examples, {
    padTokenId,
    ...(options.adapter ? { adapterDir: options.adapter } : {}),
    ...(options.device ? { device: options.device } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  const lines = rows.map((r) =>
    JSON.stringify({
      chosen_logp: r.chosenLogp,
      rejected_logp: r.rejectedLogp,
      chosen_tokens: r.chosenTokens,
      rejected_tokens: r.rejectedTokens,
    }),
  );
  await writeFile(options.out, lines.map((l) => `${l}\n`).join(''));
  return { rows: rows.length, device, ...(reason ? { reason } : {}) };
}

/** Sequence log-probs of `examples` in order under the model, with a PEFT adapter applied when given. */
export async function scoreExamples(
  model: Checkpoint,
  examples: readonly PairExample[],
  options: {
    padTokenId: number;
    adapterDir?: string;
    device?: DeviceRequest;
    batchSize?: number;
    /** Keep at most this many tokens per sequence, as the trainer does (collate's maxLength). */
    maxLength?: number;
  },
): Promise<{ rows: PairLogps[]; device: Device; reason?: string }> {
  const lora = options.adapterDir ? loadPeftAdapter(options.adapterDir, model.config).weights : undefined;
  const batchSize = options.batchSize ?? 8;
  const longest = examples.reduce(
    (m, e) => Math.max(m, e.prompt.length + Math.max(e.chosen.length, e.rejected.length)),
    1,
  ); // a loop, not a spread: a file can hold more rows than a call takes arguments
  const headChunks = headChunksFor(
    model.config.vocabSize,
    2 * batchSize * Math.min(longest, options.maxLength ?? longest),
  );
  const graph = buildCompletionScoringGraph(model.config, model.weights, {
    headChunks,
    ...(lora ? { lora } : {}),
  });
  const opened = await openGraph(graph, 'logprobs', { device: options.device ?? 'auto' });
  try {
    const rows = await scorePairs(opened.session, examples, {
      padTokenId: options.padTokenId,
      batchSize,
      headChunks,
      ...(options.maxLength ? { maxLength: options.maxLength } : {}),
    });
    const { device, reason } = opened.session;
    return { rows, device, ...(reason ? { reason } : {}) };
  } finally {
    await opened.close();
  }
}
