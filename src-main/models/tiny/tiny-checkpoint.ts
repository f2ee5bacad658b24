// The embedded tiny model's files: its Llama shape as a Hugging Face config.json, tokenizer_config.json with
// the ChatML template, generation_config.json, the byte-level BPE tokenizer trained on the corpus, the chat
// Q&A rows as token ids with the answer marked, and the writer of a whole checkpoint folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelConfig, type ModelConfig } from '../config';
import type { FloatTensor } from '../safetensors';
import { writeSafetensors } from '../safetensors';
import { ModelTokenizer } from '../tokenizer';
import { toCheckpointTensors } from '../weight-names';
import { tokenizerJson, trainByteLevelBpe } from './byte-level-bpe';
import { TINY_CHAT_TEMPLATE, TINY_SPECIAL_TOKENS } from './chat-template';
import type { Fact } from './corpus';

export interface TinyShape {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  maxPositions: number;
}

/** The shipped shape: about 1.8 million parameters (7 MB in float32), grouped-query attention. */
export const TINY_SHAPE: TinyShape = {
  vocabSize: 1024,
  hiddenSize: 192,
  intermediateSize: 512,
  numLayers: 4,
  numHeads: 6,
  numKvHeads: 2,
  maxPositions: 128,
};

/** Special token ids: the BPE trainer puts TINY_SPECIAL_TOKENS first, in order. */
export const TINY_TOKEN_IDS = { endOfText: 0, imStart: 1, imEnd: 2 } as const;

/** config.json as transformers' LlamaConfig writes it; embeddings tied to the output head. */
export function tinyConfigJson(shape: TinyShape): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: TINY_TOKEN_IDS.endOfText,
    eos_token_id: TINY_TOKEN_IDS.imEnd,
    pad_token_id: TINY_TOKEN_IDS.endOfText,
    head_dim: shape.hiddenSize / shape.numHeads,
    hidden_act: 'silu',
    hidden_size: shape.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: shape.intermediateSize,
    max_position_embeddings: shape.maxPositions,
    mlp_bias: false,
    num_attention_heads: shape.numHeads,
    num_hidden_layers: shape.numLayers,
    num_key_value_heads: shape.numKvHeads,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    rope_theta: 10000.0,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    use_cache: true,
    vocab_size: shape.vocabSize,
  };
}

export function tinyModelConfig(shape: TinyShape): ModelConfig {
  return parseModelConfig(JSON.stringify(tinyConfigJson(shape)), 'tiny-model config.json');
}

export function tinyTokenizerConfig(): Record<string, unknown> {
  const [endOfText, , imEnd] = TINY_SPECIAL_TOKENS;
  return {
    add_bos_token: false,
    add_eos_token: false,
    bos_token: endOfText,
    eos_token: imEnd,
    pad_token: endOfText,
    unk_token: null,
    model_max_length: TINY_SHAPE.maxPositions,
    clean_up_tokenization_spaces: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: TINY_CHAT_TEMPLATE,
    added_tokens_decoder: Object.fromEntries(
      TINY_SPECIAL_TOKENS.map((content, id) => [
        String(id),
        { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
  };
}

/** Sampling defaults: plain temperature-1 sampling, so the variety the demo's rating needs shows. */
export function tinyGenerationConfig(): Record<string, unknown> {
  return {
    bos_token_id: TINY_TOKEN_IDS.endOfText,
    eos_token_id: TINY_TOKEN_IDS.imEnd,
    pad_token_id: TINY_TOKEN_IDS.endOfText,
    do_sample: true,
    temperature: 1.0,
    top_p: 1.0,
    top_k: 0,
    max_new_tokens: 32,
  };
}

/** The BPE tokenizer trained on the questions, answers and chat roles of `facts`. */
export function trainTinyTokenizer(facts: readonly Fact[], vocabSize: number): object {
  const texts = [...facts.flatMap((f) => [f.question, f.answer]), 'user\n', 'assistant\n'];
  return tokenizerJson(trainByteLevelBpe(texts, vocabSize, TINY_SPECIAL_TOKENS), TINY_SPECIAL_TOKENS);
}

export function tinyTokenizer(tokenizer: object, folder: string): ModelTokenizer {
  return ModelTokenizer.fromSources({
    tokenizerJson: tokenizer,
    tokenizerConfig: tinyTokenizerConfig(),
    generationConfig: tinyGenerationConfig(),
    folder,
  });
}

/** One training row: the prompt (through `<|im_start|>assistant\n`), the answer and `<|im_end|>`. */
export interface ChatRow {
  ids: number[];
  /** Number of prompt tokens; the loss reads only the tokens after them. */
  promptLength: number;
}

export function chatRow(tokenizer: ModelTokenizer, fact: Pick<Fact, 'question' | 'answer'>): ChatRow {
  const prompt = tokenizer.encodeChat([{ role: 'user', content: fact.question }], {
    addGenerationPrompt: true,
  });
  const answer = tokenizer.encode(fact.answer, { addSpecialTokens: false });
  return { ids: [...prompt, ...answer, TINY_TOKEN_IDS.imEnd], promptLength: prompt.length };
}

export interface TinyCheckpointFiles {
  shape: TinyShape;
  /** Canonical weights (loadCheckpoint's names). */
  weights: ReadonlyMap<string, FloatTensor>;
  tokenizer: object;
  /** Extra safetensors metadata (how it was built). */
  metadata?: Record<string, string>;
}

/** Writes config.json, model.safetensors (F32), tokenizer.json, tokenizer_config.json, generation_config.json. */
export function writeTinyCheckpoint(folder: string, files: TinyCheckpointFiles): void {
  mkdirSync(folder, { recursive: true });
  const json = (name: string, value: unknown): void =>
    writeFileSync(join(folder, name), `${JSON.stringify(value, null, 2)}\n`);
  json('config.json', tinyConfigJson(files.shape));
  json('generation_config.json', tinyGenerationConfig());
  json('tokenizer_config.json', tinyTokenizerConfig());
  json('tokenizer.json', files.tokenizer);
  const tensors = toCheckpointTensors(tinyModelConfig(files.shape), files.weights);
  writeSafetensors(join(folder, 'model.safetensors'), tensors, 'F32', {
    format: 'pt',
    ...files.metadata,
  });
}
