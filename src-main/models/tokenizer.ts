// A checkpoint's tokenizer: @huggingface/tokenizers over tokenizer.json + tokenizer_config.json, its chat
// template (tokenizer_config.json or chat_template.jinja) rendered with @huggingface/jinja made to follow
// Python's string methods (./jinja-python, as transformers renders with Python's jinja2), special tokens,
// and the sampling defaults of generation_config.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { Template } from './jinja-python';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  /** add_generation_prompt: end with the opening of an assistant turn (for sampling); default false. */
  addGenerationPrompt?: boolean;
  /**
   * enable_thinking, for templates that read it (Qwen3: false writes an empty think block after the
   * generation prompt). Left undefined, the template sees it undefined, as transformers does without the kwarg.
   */
  enableThinking?: boolean;
}

/** generation_config.json, as far as sampling needs it (undefined: not set by the checkpoint). */
export interface GenerationDefaults {
  eosTokenIds: number[];
  temperature?: number;
  topP?: number;
  topK?: number;
  maxNewTokens?: number;
  doSample?: boolean;
}

export interface TokenizerSources {
  /** Parsed tokenizer.json. */
  tokenizerJson: unknown;
  tokenizerConfig?: Record<string, unknown>;
  /** The contents of chat_template.jinja, which wins over tokenizer_config.json's chat_template. */
  chatTemplateFile?: string;
  generationConfig?: Record<string, unknown>;
  /** The model's config.json vocab_size and eos ids; the tokenizer must fit the vocabulary. */
  model?: { vocabSize: number; eosTokenIds: readonly number[] };
  /** Where these came from, for error messages (the checkpoint folder). */
  folder: string;
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/** A special token in tokenizer_config.json: a string or an AddedToken object with `content`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { content?: unknown }).content === 'string'
  )
    return (value as { content: string }).content;
  return undefined;
}

/**
 * Every `*_token` of tokenizer_config.json (bos_token, eos_token, pad_token, unk_token, ...), as
 * transformers passes its special tokens to the chat template.
 */
function templateTokens(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const text = key.endsWith('_token') ? tokenText(value) : undefined;
    if (text !== undefined) out[key] = text;
  }
  return out;
}

/** Ids of tokenizer.json's added tokens marked special. */
function specialIds(json: Record<string, unknown>): Set<number> {
  const added = Array.isArray(json.added_tokens)
    ? (json.added_tokens as { id?: unknown; special?: unknown }[])
    : [];
  return new Set(
    added.filter((t) => t.special === true && typeof t.id === 'number').map((t) => t.id as number),
  );
}

function ids(value: unknown): number[] | undefined {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  return undefined;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** tokenizer_config.json's chat_template: a string, or a list of {name, template} with a "default" one. */
function templateFrom(config: Record<string, unknown> | undefined): string | undefined {
  const raw = config?.chat_template;
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    const named = raw as { name?: string; template?: string }[];
    return (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

/** Whether a chat template reads Qwen3's `enable_thinking` switch. */
export function hasThinkingSwitch(template: string): boolean {
  return /\benable_thinking\b/.test(template);
}

export class ModelTokenizer {
  readonly bosToken: string | undefined;
  /**
   * The chat template reads Qwen3's thinking switch. The workbench renders it off (enableThinking: false)
   * when it samples candidates and when it trains on them, so both give the same prompt ids.
   */
  readonly hasThinkingSwitch: boolean;
  readonly eosToken: string | undefined;
  readonly bosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  /** Token ids that end generation: generation_config.json's, else config.json's, else the eos token. */
  readonly eosTokenIds: number[];
  readonly generation: GenerationDefaults;
  /** The largest token id + 1, added tokens included. */
  readonly vocabSize: number;
  private readonly template: Template | undefined;
  private readonly templateTokens: Record<string, string>;
  /** Special tokens the tokenizer knows but the model's embedding does not have (id >= vocab_size). */
  private readonly outsideModel = new Map<number, string>();
  private readonly tokenizerFile: string;

  private constructor(
    private readonly tokenizer: Tokenizer,
    sources: TokenizerSources,
    specials: ReadonlySet<number>,
  ) {
    const config = sources.tokenizerConfig ?? {};
    const idOf = (token: string | undefined): number | undefined =>
      token === undefined ? undefined : tokenizer.token_to_id(token);
    this.bosToken = tokenText(config.bos_token);
    this.eosToken = tokenText(config.eos_token);
    this.bosTokenId = idOf(this.bosToken);
    this.padTokenId = idOf(tokenText(config.pad_token));
    this.templateTokens = templateTokens(config);
    // Loops, not Math.max(...ids): spreading a real vocabulary (128k-262k ids) into one call overflows the stack.
    let largest = -1;
    let largestOrdinary = -1;
    const vocab = tokenizer.get_vocab(true);
    for (const tokenId of vocab.values()) {
      if (tokenId > largest) largest = tokenId;
      if (tokenId > largestOrdinary && !specials.has(tokenId)) largestOrdinary = tokenId;
    }
    this.vocabSize = largest + 1;
    const tokenizerFile = join(sources.folder, 'tokenizer.json');
    this.tokenizerFile = tokenizerFile;
    const modelVocab = sources.model?.vocabSize;
    if (modelVocab !== undefined && largestOrdinary >= modelVocab) {
      throw new Error(
        `${tokenizerFile}: the tokenizer has ${this.vocabSize} tokens but config.json's vocab_size is ` +
          `${modelVocab}; the tokenizer does not belong to this model`,
      );
    }
    // Special tokens past the embedding are allowed, as transformers allows them (Gemma 3's text-only
    // checkpoints: vocab_size 262144, and tokenizer.json's <image_soft_token> is id 262144); encode() refuses
    // text that would produce one.
    if (modelVocab !== undefined && largest >= modelVocab)
      for (const [token, tokenId] of vocab) if (tokenId >= modelVocab) this.outsideModel.set(tokenId, token);
    const gen = sources.generationConfig ?? {};
    const eos = idOf(this.eosToken);
    this.eosTokenIds = ids(gen.eos_token_id) ?? [
      ...(sources.model?.eosTokenIds ?? (eos === undefined ? [] : [eos])),
    ];
    this.generation = {
      eosTokenIds: this.eosTokenIds,
      ...defined('temperature', optionalNumber(gen.temperature)),
      ...defined('topP', optionalNumber(gen.top_p)),
      ...defined('topK', optionalNumber(gen.top_k)),
      ...defined('maxNewTokens', optionalNumber(gen.max_new_tokens)),
      ...defined('doSample', typeof gen.do_sample === 'boolean' ? gen.do_sample : undefined),
    };
    const template = sources.chatTemplateFile ?? templateFrom(sources.tokenizerConfig);
    this.hasThinkingSwitch = template !== undefined && hasThinkingSwitch(template);
    if (template !== undefined) {
      try {
        this.template = new Template(template);
      } catch (error) {
        const file = sources.chatTemplateFile !== undefined ? 'chat_template.jinja' : 'tokenizer_config.json';
        throw new Error(
          `${join(sources.folder, file)}: chat template does not parse: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
  }

  static fromSources(sources: TokenizerSources): ModelTokenizer {
    const json = sources.tokenizerJson as Record<string, unknown>;
    const file = join(sources.folder, 'tokenizer.json');
    if (typeof json !== 'object' || json === null || typeof json.model !== 'object')
      throw new Error(`${file}: has no "model" section; is it a Hugging Face tokenizer.json?`);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer({ added_tokens: [], ...json }, sources.tokenizerConfig ?? {});
    } catch (error) {
      throw new Error(`${file}: cannot build the tokenizer: ${(error as Error).message}`, { cause: error });
    }
    return new ModelTokenizer(tokenizer, sources, specialIds(json));
  }

  /** Reads tokenizer.json (required), tokenizer_config.json, chat_template.jinja, generation_config.json. */
  static load(folder: string, model?: TokenizerSources['model']): ModelTokenizer {
    const tokenizerJson = readJson(join(folder, 'tokenizer.json'));
    if (!tokenizerJson) throw new Error(`${folder}: no tokenizer.json in this folder`);
    const templatePath = join(folder, 'chat_template.jinja');
    const tokenizerConfig = readJson(join(folder, 'tokenizer_config.json'));
    const generationConfig = readJson(join(folder, 'generation_config.json'));
    return ModelTokenizer.fromSources({
      tokenizerJson,
      folder,
      ...(tokenizerConfig ? { tokenizerConfig } : {}),
      ...(generationConfig ? { generationConfig } : {}),
      ...(existsSync(templatePath) ? { chatTemplateFile: readFileSync(templatePath, 'utf8') } : {}),
      ...(model ? { model } : {}),
    });
  }

  /** Token ids of `text`; special tokens (e.g. BOS) are added by tokenizer.json's post-processor. */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const tokenIds = this.tokenizer.encode(text, {
      add_special_tokens: options.addSpecialTokens ?? true,
    }).ids;
    if (this.outsideModel.size > 0)
      for (const tokenId of tokenIds) {
        const token = this.outsideModel.get(tokenId);
        if (token !== undefined)
          throw new Error(
            `${this.tokenizerFile}: the text contains ${token} (id ${tokenId}), a special token outside the ` +
              `model's vocabulary (config.json's vocab_size); this model cannot read it`,
          );
      }
    return tokenIds;
  }

  decode(tokenIds: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return this.tokenizer.decode([...tokenIds], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  get hasChatTemplate(): boolean {
    return this.template !== undefined;
  }

  /**
   * The chat template rendered as transformers' apply_chat_template(tokenize=False) renders it: messages,
   * add_generation_prompt, the config's special tokens (bos_token, eos_token, ...), enable_thinking when
   * given (@huggingface/jinja itself provides raise_exception and strftime_now).
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    if (!this.template) throw new Error('tokenizer: this checkpoint has no chat template');
    return this.template.render({
      bos_token: '',
      eos_token: '',
      ...this.templateTokens,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      ...(options.enableThinking === undefined ? {} : { enable_thinking: options.enableThinking }),
    });
  }

  /** As apply_chat_template(tokenize=True): the template writes the special tokens, so none are added. */
  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }
}

function defined<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
