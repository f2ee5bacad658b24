// The DecoderModel of a real checkpoint: one ONNX session over buildCachedStepGraph (with a past input and
// position_ids) serves both the prefill (fed an empty past) and the batched decode of left-padded rows of
// different lengths. The session runs in a SessionWorker, so the calling thread stays responsive.
import {
  ModelTokenizer,
  readModelConfig,
  type ChatMessage,
  type Checkpoint,
  type LoraWeights,
  type ModelConfig,
} from '../models/index';
import {
  defaultSessionCacheDir,
  SessionWorker,
  type Device,
  type DeviceRequest,
  type Feeds,
  type GraphModel,
  type HostTensor,
} from '../runtime/index';
import { decoderGraphModel } from './decoder-build';
import { buildDecoderInWorker } from './decoder-build-client';
import type { DecoderModel } from './decoder-model';
import { decodeMask, packPast, type KvBlock, type KvRow, type KvShape, type PackedPast } from './kv-blocks';

export interface OnnxCache extends KvRow {
  released: boolean;
}

export interface OnnxDecoderOptions {
  device?: DeviceRequest;
  /** ORT intra-op threads (default: ORT's choice, all cores). */
  intraOpThreads?: number;
  /** A PEFT adapter's pairs (loadPeftAdapter), applied as LoRA branches. */
  lora?: ReadonlyMap<string, LoraWeights>;
}

const i64 = (values: readonly number[], dims: readonly number[]): HostTensor => ({
  dtype: 'int64',
  data: BigInt64Array.from(values, BigInt),
  dims,
});

export class OnnxDecoder implements DecoderModel<OnnxCache> {
  private readonly shape: KvShape;
  private readonly outputs: string[];
  private closed = false;

  private constructor(
    private readonly config: ModelConfig,
    private readonly worker: SessionWorker,
    private readonly session: number,
    readonly device: Device,
    readonly deviceNote: string | undefined,
  ) {
    const c = config;
    this.shape = { layers: c.numLayers, kvHeads: c.numKvHeads, headDim: c.headDim };
    const present = Array.from({ length: c.numLayers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]);
    this.outputs = ['next_logits', ...present.flat()];
  }

  /**
   * Builds the step graph and opens it in a new worker thread. With `moveWeights` the checkpoint's weight
   * buffers move to the worker (no copy; the checkpoint's arrays are left empty): the worker then holds
   * the process's only copy of them.
   */
  static async open(
    checkpoint: Checkpoint,
    options: OnnxDecoderOptions = {},
    moveWeights = false,
  ): Promise<OnnxDecoder> {
    const model = decoderGraphModel(checkpoint.config, checkpoint.weights, {
      ...(options.lora ? { lora: options.lora } : {}),
      cpuOnly: (options.device ?? 'auto') === 'cpu',
    });
    return OnnxDecoder.openModel(checkpoint.config, model, options, moveWeights);
  }

  /**
   * Opens a decoder model already built (decoderGraphModel, or buildDecoderInWorker) in a new worker
   * thread; `moveWeights` as in open(). `options.lora` is not used here: it is part of the built model.
   */
  static async openModel(
    config: ModelConfig,
    model: GraphModel,
    options: OnnxDecoderOptions = {},
    moveWeights = false,
  ): Promise<OnnxDecoder> {
    const worker = new SessionWorker();
    try {
      const cacheDir = defaultSessionCacheDir(); // onnxruntime's optimized model, kept for the next open
      const settings = {
        device: options.device ?? 'auto',
        ...(cacheDir ? { cacheDir } : {}),
        ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
      };
      const opened = await worker.openGraph(model, settings, moveWeights);
      return new OnnxDecoder(config, worker, opened.session, opened.device, opened.reason);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  async prefill(promptIds: readonly number[]): Promise<{ logits: Float32Array; cache: OnnxCache }> {
    const n = promptIds.length;
    if (n === 0) throw new Error('prefill: the prompt has no tokens');
    this.checkPositions(n - 1);
    this.checkVocabulary(promptIds);
    const empty = new Float32Array(0);
    const past: PackedPast = {
      kv: Array.from({ length: 2 * this.shape.layers }, () => empty),
      length: 0,
      realLengths: [0],
      owned: true,
    };
    const positions = Array.from({ length: n }, (_, t) => t);
    const { logits, block } = await this.step(
      past,
      [1, n],
      promptIds,
      positions,
      i64(Array(n).fill(1), [1, n]),
    );
    return { logits: logits[0] as Float32Array, cache: this.hold(block, 0) };
  }

  async fork(cache: OnnxCache, n: number): Promise<OnnxCache[]> {
    this.checkLive(cache);
    return Array.from({ length: n }, () => this.hold(cache.block, cache.row));
  }

  async decode(caches: readonly OnnxCache[], tokens: readonly number[]): Promise<Float32Array[]> {
    if (caches.length !== tokens.length)
      throw new Error(`decode: ${caches.length} caches but ${tokens.length} tokens`);
    caches.forEach((cache) => this.checkLive(cache));
    this.checkVocabulary(tokens);
    const past = packPast(this.shape, caches);
    this.checkPositions(Math.max(...past.realLengths));
    const mask: HostTensor = {
      dtype: 'int64',
      data: decodeMask(past),
      dims: [caches.length, past.length + 1],
    };
    const { logits, block } = await this.step(past, [caches.length, 1], tokens, past.realLengths, mask);
    caches.forEach((cache, row) => {
      cache.block.holders -= 1;
      cache.block = block;
      cache.row = row;
    });
    block.holders = caches.length;
    return logits;
  }

  release(cache: OnnxCache): void {
    this.checkLive(cache);
    cache.released = true;
    cache.block.holders -= 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.worker.close(this.session);
    } finally {
      await this.worker.terminate();
    }
  }

  /** One run: `dims` (B, T) new tokens at `positions` (row-major) after `past`; returns logits rows and the block. */
  private async step(
    past: PackedPast,
    dims: [number, number],
    tokens: readonly number[],
    positions: readonly number[],
    mask: HostTensor,
  ): Promise<{ logits: Float32Array[]; block: KvBlock }> {
    if (this.closed) throw new Error('decoder: the generator is closed');
    const [batch, seq] = dims;
    const { kvHeads, headDim } = this.shape;
    const feeds: Feeds = {
      input_ids: i64(tokens, dims),
      attention_mask: mask,
      position_ids: i64(positions, dims),
      targets: { dtype: 'int64', data: new BigInt64Array(batch * seq), dims },
    };
    past.kv.forEach((data, t) => {
      const name = `past.${t >> 1}.${t % 2 === 0 ? 'key' : 'value'}`;
      feeds[name] = { dtype: 'float32', data, dims: [batch, kvHeads, past.length, headDim] };
    });
    const out = await this.worker.run(this.session, feeds, { outputs: this.outputs, transfer: past.owned });
    const vocab = this.config.vocabSize;
    const next = out.next_logits?.data as Float32Array;
    const logits = Array.from({ length: batch }, (_, b) => next.subarray(b * vocab, (b + 1) * vocab));
    const kv = this.outputs.slice(1).map((name) => out[name]?.data as Float32Array);
    const block = {
      kv,
      batch,
      length: past.length + seq,
      realLengths: past.realLengths.map((real) => real + seq),
      holders: 0,
    };
    return { logits, block };
  }

  private hold(block: KvBlock, row: number): OnnxCache {
    block.holders += 1;
    return { block, row, released: false };
  }

  private checkLive(cache: OnnxCache): void {
    if (cache.released) throw new Error('decoder: a cache was used after it was released');
  }

  private checkVocabulary(tokens: readonly number[]): void {
    const { vocabSize } = this.config;
    const bad = tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= vocabSize);
    if (bad !== undefined) throw new Error(`token id ${bad} is outside the vocabulary of ${vocabSize}`);
  }

  /**
   * A learned position table has no row past its end (RoPE models run on, as transformers does). longrope
   * (Phi-3.5, Phi-4-mini) switches to its long factors once a forward reaches original_max_position_embeddings,
   * and transformers then recomputes the cache (Phi3ForCausalLM.prepare_inputs_for_generation); a cache
   * built with the short factors would drift from that, so sampling stops short of that position.
   */
  private checkPositions(last: number): void {
    const { positions, maxPositions, ropeScaling } = this.config;
    if (positions === 'learned' && last >= maxPositions)
      throw new Error(
        `the sequence reached position ${last}, past the model's ${maxPositions} positions; ` +
          'use a shorter prompt or fewer new tokens',
      );
    if (ropeScaling.type === 'longrope' && last >= ropeScaling.originalMaxPositionEmbeddings)
      throw new Error(
        `the sequence reached position ${last}; sampling stops before original_max_position_embeddings ` +
          `(${ropeScaling.originalMaxPositionEmbeddings}), where longrope changes its factors; ` +
          'use a shorter prompt or fewer new tokens',
      );
  }
}

/** The checkpoint's tokenizer as generation uses it: prompts in (chat template applied), candidates out. */
export interface GeneratorTokenizer {
  /**
   * Prompt token ids. Messages go through the chat template with the generation prompt; a plain text is one
   * user turn when the checkpoint has a chat template, and is encoded as is (special tokens added) otherwise.
   */
  encodeChat(prompt: string | readonly ChatMessage[]): number[];
  decode(ids: readonly number[]): string;
  readonly model: ModelTokenizer;
}

/** Sampling settings from generation_config.json, where it sets them. */
export interface GenerationDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxNewTokens?: number;
}

export interface LoadedGenerator {
  /** For generateBestOfN. */
  model: DecoderModel<unknown>;
  tokenizer: GeneratorTokenizer;
  eosIds: number[];
  generationDefaults: GenerationDefaults;
  config: ModelConfig;
  device: Device;
  /** Why the device differs from the request (e.g. why CUDA was not used). */
  deviceNote?: string;
  close(): Promise<void>;
}

export interface LoadGeneratorOptions {
  modelDir: string;
  /** A PEFT LoRA adapter folder applied on top of the model. */
  adapterDir?: string;
  device?: DeviceRequest;
  intraOpThreads?: number;
}

/** The prompt side of sampling over a checkpoint's tokenizer (exported so tests can hold it against training's). */
export function generatorTokenizer(model: ModelTokenizer): GeneratorTokenizer {
  return {
    model,
    encodeChat(prompt) {
      if (typeof prompt !== 'string' || model.hasChatTemplate) {
        const messages = typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt;
        // Qwen3's thinking switch off, as training renders the same prompt (collate.ts).
        const thinking = model.hasThinkingSwitch ? { enableThinking: false } : {};
        return model.encodeChat(messages, { addGenerationPrompt: true, ...thinking });
      }
      return model.encode(prompt);
    },
    // Shown and stored text leaves special tokens out, as transformers' text-generation pipeline and
    // vLLM do by default; the token ids keep them.
    decode: (ids) => model.decode(ids, { skipSpecialTokens: true }),
  };
}

/**
 * A checkpoint folder (+ adapter) ready to sample: tokenizer, eos ids, generation_config.json defaults.
 * The checkpoint read and scan and the graph build run in a worker thread (buildDecoderInWorker), the
 * session opens in another (SessionWorker); the weights move from one to the other through this thread
 * without a copy, and the session's worker holds the only copy. Here only the tokenizer loads meanwhile.
 */
export async function loadGenerator(options: LoadGeneratorOptions): Promise<LoadedGenerator> {
  const device = options.device ?? 'auto';
  const building = buildDecoderInWorker({
    modelDir: options.modelDir,
    ...(options.adapterDir ? { adapterDir: options.adapterDir } : {}),
    cpuOnly: device === 'cpu',
  });
  let tokenizer: ModelTokenizer;
  try {
    const config = readModelConfig(options.modelDir);
    tokenizer = ModelTokenizer.load(options.modelDir, {
      vocabSize: config.vocabSize,
      eosTokenIds: config.eosTokenIds,
    });
  } catch (error) {
    await building; // a broken checkpoint is named first, as when it was read first
    throw error;
  }
  const { config, model } = await building;
  const decoder = await OnnxDecoder.openModel(
    config,
    model,
    {
      device,
      ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
    },
    true,
  );
  const { temperature, topP, topK, maxNewTokens } = tokenizer.generation;
  const generationDefaults = Object.fromEntries(
    Object.entries({ temperature, topP, topK, maxNewTokens }).filter(([, v]) => v !== undefined),
  ) as GenerationDefaults;
  return {
    model: decoder as DecoderModel<unknown>,
    tokenizer: generatorTokenizer(tokenizer),
    eosIds: [...tokenizer.eosTokenIds],
    generationDefaults,
    config,
    device: decoder.device,
    ...(decoder.deviceNote === undefined ? {} : { deviceNote: decoder.deviceNote }),
    close: () => decoder.close(),
  };
}
