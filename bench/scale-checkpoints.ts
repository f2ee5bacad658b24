// Random checkpoints with the exact configs of two models people fine-tune with DPO: Qwen2.5-0.5B (24
// layers, vocab 151,936, q/k/v biases, tied) and Llama-3.2-1B (16 layers, vocab 128,256, llama3 rope
// scaling, tied), as their config.json files on the hub read, with bf16 weights in shards of a few layers
// (model.safetensors.index.json), so that writing them never holds more than a few layers in memory.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A tensor as bf16 bits. */
interface Bf16Tensor {
  dims: number[];
  bits: Uint16Array;
}

/** Uniform values of standard deviation `std` from a fixed LCG, straight to bf16 bits (truncated). */
function uniformBf16(dims: number[], std: number, seed: number): Bf16Tensor {
  let s = seed >>> 0;
  const n = dims.reduce((a, d) => a * d, 1);
  const bits = new Uint16Array(n);
  const one = new Float32Array(1);
  const word = new Uint32Array(one.buffer);
  const half = std * Math.sqrt(3);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    one[0] = (s / 4294967296 - 0.5) * 2 * half;
    bits[i] = (word[0] as number) >>> 16;
  }
  return { dims, bits };
}

const ONE_BF16 = 0x3f80;

/** One safetensors file of BF16 tensors (header padded with spaces to 8 bytes, as the Rust crate). */
function writeBf16Safetensors(path: string, tensors: ReadonlyMap<string, Bf16Tensor>): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'BF16', shape: t.dims, data_offsets: [offset, offset + t.bits.byteLength] };
    offset += t.bits.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length), 0);
  head.write(json, 8, 'ascii');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    for (const t of tensors.values())
      writeSync(fd, new Uint8Array(t.bits.buffer, t.bits.byteOffset, t.bits.byteLength));
  } finally {
    closeSync(fd);
  }
}

export const SCALE_CONFIGS = {
  'qwen2.5-0.5b': {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: 151643,
    hidden_act: 'silu',
    hidden_size: 896,
    initializer_range: 0.02,
    intermediate_size: 4864,
    max_position_embeddings: 32768,
    max_window_layers: 24,
    model_type: 'qwen2',
    num_attention_heads: 14,
    num_hidden_layers: 24,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    sliding_window: 32768,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: 151936,
  },
  'llama-3.2-1b': {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 128000,
    eos_token_id: 128001,
    head_dim: 64,
    hidden_act: 'silu',
    hidden_size: 2048,
    initializer_range: 0.02,
    intermediate_size: 8192,
    max_position_embeddings: 131072,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: 32,
    num_hidden_layers: 16,
    num_key_value_heads: 8,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: {
      factor: 32.0,
      high_freq_factor: 4.0,
      low_freq_factor: 1.0,
      original_max_position_embeddings: 8192,
      rope_type: 'llama3',
    },
    rope_theta: 500000.0,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    use_cache: true,
    vocab_size: 128256,
  },
} as const;

export type ScaleModel = keyof typeof SCALE_CONFIGS;

const LAYERS_PER_SHARD = 4;

/** Writes config.json, bf16 shards and the index into `dir`; returns the parameter count. */
export function writeScaleCheckpoint(dir: string, name: ScaleModel): number {
  const c = SCALE_CONFIGS[name];
  const C = c.hidden_size;
  const I = c.intermediate_size;
  const heads = c.num_attention_heads;
  const kvHeads = c.num_key_value_heads;
  const D = C / heads;
  const bias = c.model_type === 'qwen2'; // Qwen2: q/k/v projections have biases
  const ones = (n: number): Bf16Tensor => ({ dims: [n], bits: new Uint16Array(n).fill(ONE_BF16) });
  const weightMap: Record<string, string> = {};
  let seed = 1;
  let parameters = 0;
  let bytes = 0;
  const shardCount = 1 + Math.ceil(c.num_hidden_layers / LAYERS_PER_SHARD);
  const shardName = (i: number): string =>
    `model-${String(i + 1).padStart(5, '0')}-of-${String(shardCount).padStart(5, '0')}.safetensors`;
  const writeShard = (index: number, tensors: Map<string, Bf16Tensor>): void => {
    for (const [key, t] of tensors) {
      weightMap[key] = shardName(index);
      parameters += t.bits.length;
      bytes += t.bits.byteLength;
    }
    writeBf16Safetensors(join(dir, shardName(index)), tensors);
  };
  writeShard(
    0,
    new Map([
      ['model.embed_tokens.weight', uniformBf16([c.vocab_size, C], 0.02, seed++)],
      ['model.norm.weight', ones(C)],
    ]),
  );
  for (let first = 0; first < c.num_hidden_layers; first += LAYERS_PER_SHARD) {
    const tensors = new Map<string, Bf16Tensor>();
    for (let l = first; l < Math.min(first + LAYERS_PER_SHARD, c.num_hidden_layers); l++) {
      const p = `model.layers.${l}.`;
      tensors.set(`${p}input_layernorm.weight`, ones(C));
      tensors.set(`${p}post_attention_layernorm.weight`, ones(C));
      const projections: [string, number, number][] = [
        ['self_attn.q_proj', heads * D, C],
        ['self_attn.k_proj', kvHeads * D, C],
        ['self_attn.v_proj', kvHeads * D, C],
        ['self_attn.o_proj', C, heads * D],
        ['mlp.gate_proj', I, C],
        ['mlp.up_proj', I, C],
        ['mlp.down_proj', C, I],
      ];
      for (const [module, out, inFeatures] of projections) {
        tensors.set(`${p}${module}.weight`, uniformBf16([out, inFeatures], 0.02, seed++));
        if (bias && /[qkv]_proj/.test(module))
          tensors.set(`${p}${module}.bias`, uniformBf16([out], 0.02, seed++));
      }
    }
    writeShard(1 + first / LAYERS_PER_SHARD, tensors);
  }
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: bytes }, weight_map: weightMap }, null, 2),
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, 2));
  return parameters;
}
