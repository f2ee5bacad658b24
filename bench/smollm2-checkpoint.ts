// A random Llama checkpoint shaped like SmolLM2-135M (30 layers, hidden 576, intermediate 1536, 9 heads,
// 3 kv heads, vocabulary 49152, tied embeddings, rope theta 100000) for benchmarks: config.json and F32
// model.safetensors with uniform weights of standard deviation 0.02 (about HF's init) from a fixed LCG.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../src-main/models/index';

export function smolLm2Config(layers = 30, ids = { bos: 1, eos: 2 }) {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: 576,
    intermediate_size: 1536,
    num_attention_heads: 9,
    num_key_value_heads: 3,
    head_dim: 64,
    num_hidden_layers: layers,
    vocab_size: 49152,
    max_position_embeddings: 8192,
    rms_norm_eps: 1e-5,
    rope_theta: 100000,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: true,
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    torch_dtype: 'float32',
  };
}

export type LlamaConfigJson = ReturnType<typeof smolLm2Config>;

/** Uniform values with standard deviation `std` from a fixed LCG. */
export function uniformTensor(dims: number[], std: number, seed: number): TensorToWrite {
  let s = seed >>> 0;
  const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
  const half = std * Math.sqrt(3);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296 - 0.5) * 2 * half;
  }
  return { dims, data };
}

/** Writes config.json and model.safetensors (F32, unit norms, random projections) into `dir`. */
export function writeRandomLlama(dir: string, c: LlamaConfigJson): void {
  const [C, I, D] = [c.hidden_size, c.intermediate_size, c.head_dim];
  const [heads, kvHeads] = [c.num_attention_heads, c.num_key_value_heads];
  const tensors = new Map<string, TensorToWrite>();
  let seed = 1;
  const ones = (n: number): TensorToWrite => ({ dims: [n], data: new Float32Array(n).fill(1) });
  tensors.set('model.embed_tokens.weight', uniformTensor([c.vocab_size, C], 0.02, seed++));
  for (let l = 0; l < c.num_hidden_layers; l++) {
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
    for (const [name, out, inFeatures] of projections)
      tensors.set(`${p}${name}.weight`, uniformTensor([out, inFeatures], 0.02, seed++));
  }
  tensors.set('model.norm.weight', ones(C));
  writeSafetensors(join(dir, 'model.safetensors'), tensors, 'F32');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, 2));
}
