// Random real-shape checkpoints for benchmarks: a Hugging Face config.json (Qwen2.5-0.5B's and
// Llama-3.2-1B's exact ones built in, or any Llama-family config.json) and BF16 weights (one
// model.safetensors, or shards of a few layers with their index) of uniform values (standard deviation
// 0.02, about HF's init; norms 1, biases 0.01) from a fixed LCG, streamed to disk tensor by tensor so that
// writing a 1B checkpoint never holds more than one tensor.
// Run: npx tsx bench/random-checkpoint.ts qwen2.5-0.5b|llama-3.2-1b|path/to/config.json OUT_DIR
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The config.json keys this writer reads (a Llama-family config; Qwen2 adds q/k/v biases). */
export interface RandomConfigJson {
  architectures: string[];
  model_type: string;
  hidden_size: number;
  intermediate_size: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  num_hidden_layers: number;
  vocab_size: number;
  head_dim?: number;
  tie_word_embeddings: boolean;
  attention_bias?: boolean;
  [key: string]: unknown;
}

/** Qwen/Qwen2.5-0.5B's config.json (494M parameters, vocabulary 151,936, tied, q/k/v biases). */
export function qwen25_05bConfig(): RandomConfigJson {
  return {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    attention_dropout: 0,
    bos_token_id: 151643,
    eos_token_id: 151643,
    hidden_act: 'silu',
    hidden_size: 896,
    initializer_range: 0.02,
    intermediate_size: 4864,
    max_position_embeddings: 32768,
    max_window_layers: 24,
    num_attention_heads: 14,
    num_hidden_layers: 24,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    sliding_window: 32768,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: 151936,
  };
}

/** meta-llama/Llama-3.2-1B's config.json (1.24B parameters, vocabulary 128,256, tied, llama3 rope scaling). */
export function llama32_1bConfig(): RandomConfigJson {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    attention_bias: false,
    attention_dropout: 0,
    bos_token_id: 128000,
    eos_token_id: 128001,
    head_dim: 64,
    hidden_act: 'silu',
    hidden_size: 2048,
    initializer_range: 0.02,
    intermediate_size: 8192,
    max_position_embeddings: 131072,
    mlp_bias: false,
    num_attention_heads: 32,
    num_hidden_layers: 16,
    num_key_value_heads: 8,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: {
      factor: 32,
      high_freq_factor: 4,
      low_freq_factor: 1,
      original_max_position_embeddings: 8192,
      rope_type: 'llama3',
    },
    rope_theta: 500000,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    use_cache: true,
    vocab_size: 128256,
  };
}

/** The real models with a built-in config. */
export type KnownModel = 'qwen2.5-0.5b' | 'llama-3.2-1b';

export const KNOWN_CONFIGS: Record<KnownModel, () => RandomConfigJson> &
  Partial<Record<string, () => RandomConfigJson>> = {
  'qwen2.5-0.5b': qwen25_05bConfig,
  'llama-3.2-1b': llama32_1bConfig,
};

type Fill = { kind: 'uniform'; std: number } | { kind: 'constant'; value: number };

interface Planned {
  name: string;
  shape: number[];
  fill: Fill;
}

/** The checkpoint's tensors in HF names (model.layers.N.self_attn.q_proj.weight, ...), in file order. */
export function plannedTensors(c: RandomConfigJson): Planned[] {
  const C = c.hidden_size;
  const I = c.intermediate_size;
  const D = c.head_dim ?? C / c.num_attention_heads;
  const [q, kv] = [c.num_attention_heads * D, c.num_key_value_heads * D];
  const qkvBias = c.model_type === 'qwen2' || c.attention_bias === true;
  const uniform: Fill = { kind: 'uniform', std: 0.02 };
  const ones: Fill = { kind: 'constant', value: 1 };
  const bias: Fill = { kind: 'constant', value: 0.01 };
  const out: Planned[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, C], fill: uniform }];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    out.push({ name: `${p}input_layernorm.weight`, shape: [C], fill: ones });
    out.push({ name: `${p}post_attention_layernorm.weight`, shape: [C], fill: ones });
    for (const [name, rows] of [
      ['q_proj', q],
      ['k_proj', kv],
      ['v_proj', kv],
    ] as const) {
      out.push({ name: `${p}self_attn.${name}.weight`, shape: [rows, C], fill: uniform });
      if (qkvBias) out.push({ name: `${p}self_attn.${name}.bias`, shape: [rows], fill: bias });
    }
    out.push({ name: `${p}self_attn.o_proj.weight`, shape: [C, q], fill: uniform });
    if (c.attention_bias === true) out.push({ name: `${p}self_attn.o_proj.bias`, shape: [C], fill: bias });
    out.push({ name: `${p}mlp.gate_proj.weight`, shape: [I, C], fill: uniform });
    out.push({ name: `${p}mlp.up_proj.weight`, shape: [I, C], fill: uniform });
    out.push({ name: `${p}mlp.down_proj.weight`, shape: [C, I], fill: uniform });
  }
  out.push({ name: 'model.norm.weight', shape: [C], fill: ones });
  if (!c.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [c.vocab_size, C], fill: uniform });
  return out;
}

const CHUNK = 1 << 22; // values per write (8 MiB of BF16)

/** float32 -> bfloat16 bits, round to nearest even (finite inputs only). */
function bf16(value: number, scratch: Float32Array, words: Uint32Array): number {
  scratch[0] = value;
  const w = words[0] as number;
  return ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The LCG every tensor's uniform values come from, in file order. */
interface Lcg {
  state: number;
}

/** Writes `tensors` as one BF16 safetensors file, streamed in chunks; returns the bytes of tensor data. */
function writeBf16File(path: string, tensors: Planned[], lcg: Lcg): number {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, d) => a * d, 1) * 2;
    header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fd = openSync(path, 'w');
  const scratch = new Float32Array(1);
  const words = new Uint32Array(scratch.buffer);
  const chunk = new Uint16Array(CHUNK);
  try {
    writeSync(fd, prefix);
    writeSync(fd, Buffer.from(json, 'utf8'));
    for (const t of tensors) {
      let left = t.shape.reduce((a, d) => a * d, 1);
      const constant = t.fill.kind === 'constant' ? bf16(t.fill.value, scratch, words) : 0;
      const half = t.fill.kind === 'uniform' ? t.fill.std * Math.sqrt(3) : 0;
      while (left > 0) {
        const n = Math.min(left, CHUNK);
        if (t.fill.kind === 'constant') chunk.fill(constant, 0, n);
        else {
          for (let i = 0; i < n; i++) {
            lcg.state = (Math.imul(lcg.state, 1664525) + 1013904223) >>> 0;
            chunk[i] = bf16((lcg.state / 4294967296 - 0.5) * 2 * half, scratch, words);
          }
        }
        writeSync(fd, new Uint8Array(chunk.buffer, 0, n * 2));
        left -= n;
      }
    }
  } finally {
    closeSync(fd);
  }
  return offset;
}

/** The tensors in shards: the first holds everything outside the layers, then `layersPerShard` layers each. */
function shardsOf(tensors: Planned[], layers: number, layersPerShard: number): Planned[][] {
  const shards: Planned[][] = Array.from({ length: 1 + Math.ceil(layers / layersPerShard) }, () => []);
  for (const t of tensors) {
    const layer = /^model\.layers\.(\d+)\./.exec(t.name)?.[1];
    shards[layer === undefined ? 0 : 1 + Math.floor(Number(layer) / layersPerShard)]?.push(t);
  }
  return shards;
}

export interface RandomCheckpointOptions {
  /** The LCG's seed (default 1). */
  seed?: number;
  /**
   * Shards of this many layers each (after one of the embeddings and norms) listed in
   * `model.safetensors.index.json`, instead of one `model.safetensors`.
   */
  layersPerShard?: number;
}

/**
 * Writes `<dir>/config.json` and the BF16 weights for `config`: one `model.safetensors`, or shards and
 * their index with `layersPerShard`. Returns the parameter count. The same config and options always give
 * the same bytes.
 */
export function writeRandomCheckpoint(
  dir: string,
  config: RandomConfigJson,
  options: RandomCheckpointOptions = {},
): number {
  mkdirSync(dir, { recursive: true });
  const tensors = plannedTensors(config);
  const lcg: Lcg = { state: (options.seed ?? 1) >>> 0 };
  let bytes = 0;
  if (options.layersPerShard === undefined)
    bytes = writeBf16File(join(dir, 'model.safetensors'), tensors, lcg);
  else {
    const shards = shardsOf(tensors, config.num_hidden_layers, options.layersPerShard);
    const count = String(shards.length).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${count}.safetensors`;
      for (const t of shard) weightMap[t.name] = file;
      bytes += writeBf16File(join(dir, file), shard, lcg);
    });
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: bytes }, weight_map: weightMap }, null, 2),
    );
  }
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return bytes / 2;
}

/** A config by known name or from a config.json path. */
export function configNamed(nameOrPath: string): RandomConfigJson {
  const known = KNOWN_CONFIGS[nameOrPath];
  if (known) return known();
  return JSON.parse(readFileSync(nameOrPath, 'utf8')) as RandomConfigJson;
}

if (process.argv[1]?.endsWith('random-checkpoint.ts')) {
  const [which, out] = process.argv.slice(2);
  if (!which || !out) {
    console.error(`usage: random-checkpoint.ts ${Object.keys(KNOWN_CONFIGS).join('|')}|CONFIG.json OUT_DIR`);
    process.exit(2);
  }
  const started = performance.now();
  const params = writeRandomCheckpoint(out, configNamed(which));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${out}: ${(params / 1e6).toFixed(1)}M parameters, BF16, written in ${seconds} s`);
}
