// config.json -> ModelConfig: the switches each family gets, HF defaults, and errors naming config.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelConfig, type ModelConfig } from './config';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function fixtureConfig(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8')) as Record<string, unknown>;
}

function parse(raw: Record<string, unknown>): ModelConfig {
  return parseModelConfig(JSON.stringify(raw), '/models/x/config.json');
}

describe('config.json -> ModelConfig switches', () => {
  it.each([
    [
      'llama',
      { norm: 'rmsnorm', mlp: 'gated-silu', positions: 'rope', numKvHeads: 2, tiedEmbeddings: false },
    ],
    ['mistral', { headDim: 16, slidingWindow: 4, qkvBias: false, eosTokenIds: [2] }],
    [
      'qwen2',
      { qkvBias: true, attnOutBias: false, tiedEmbeddings: true, ropeScaling: { type: 'linear', factor: 2 } },
    ],
    [
      'llama-tied-llama3',
      {
        numKvHeads: 1,
        eosTokenIds: [2, 3],
        ropeTheta: 500000,
        ropeScaling: {
          type: 'llama3',
          factor: 8,
          lowFreqFactor: 1,
          highFreqFactor: 4,
          originalMaxPositionEmbeddings: 64,
        },
      },
    ],
    [
      'gpt2',
      {
        norm: 'layernorm',
        mlp: 'gelu-new',
        positions: 'learned',
        intermediateSize: 128,
        headDim: 8,
        numKvHeads: 4,
        qkvBias: true,
        attnOutBias: true,
        mlpBias: true,
        tiedEmbeddings: true,
        weightLayout: 'gpt2',
      },
    ],
    ['llama-bf16', { torchDtype: 'bfloat16', headDim: 8 }],
  ])('%s', (name, expected) => {
    expect(parse(fixtureConfig(name))).toMatchObject(expected);
  });

  it('a Qwen2 config ignores sliding_window unless use_sliding_window is set', () => {
    const qwen = { ...fixtureConfig('qwen2'), sliding_window: 4096 };
    expect(parse(qwen).slidingWindow).toBeNull();
    expect(() => parse({ ...qwen, use_sliding_window: true })).toThrow(
      '/models/x/config.json: use_sliding_window is not supported',
    );
  });

  it('Llama attention_bias puts biases on q, k, v and o', () => {
    expect(parse({ ...fixtureConfig('llama'), attention_bias: true })).toMatchObject({
      qkvBias: true,
      attnOutBias: true,
    });
  });
});

describe('the new families: every field of their hub config.json', () => {
  it('Qwen3: q/k norm, explicit head_dim, tied, no biases', () => {
    expect(parse(fixtureConfig('qwen3'))).toMatchObject({
      modelType: 'qwen3',
      qkNorm: true,
      headDim: 16,
      hiddenSize: 32,
      numHeads: 4,
      normEps: 0.5,
      tiedEmbeddings: true,
      qkvBias: false,
      attnOutBias: false,
      attentionScale: 0.25,
    });
    expect(() => parse({ ...fixtureConfig('qwen3'), use_sliding_window: true })).toThrow(
      'use_sliding_window is not supported (false), got true',
    );
    expect(() => parse({ ...fixtureConfig('qwen3'), hidden_act: 'gelu' })).toThrow(
      '/models/x/config.json: hidden_act is not supported (silu), got "gelu"',
    );
  });

  it('Gemma 3: norms, embedding scale, local and global layers, softcap; tied by default', () => {
    const c = parse(fixtureConfig('gemma3'));
    expect(c).toMatchObject({
      weightLayout: 'gemma3',
      normUnitOffset: true,
      qkNorm: true,
      blockOutputNorms: true,
      embedScale: Math.fround(Math.sqrt(32)),
      mlp: 'gated-gelu-tanh',
      attentionScale: Math.pow(24, -0.5),
      slidingWindow: 3,
      localRope: { theta: 10000, scaling: { type: 'none' } },
      ropeScaling: { type: 'linear', factor: 4 },
      finalLogitSoftcap: 2.5,
      tiedEmbeddings: true,
      eosTokenIds: [1, 3],
    });
    expect(c.layers).toEqual([
      { sliding: true, rope: 'local' },
      { sliding: false, rope: 'global' },
      { sliding: true, rope: 'local' },
    ]);
    // Older configs give sliding_window_pattern instead: every 6th layer (1-based) is global.
    const old: Record<string, unknown> = {
      ...fixtureConfig('gemma3'),
      num_hidden_layers: 7,
      sliding_window_pattern: 6,
    };
    delete old.layer_types;
    expect(parse(old).layers.map((l) => l.sliding)).toEqual([true, true, true, true, true, false, true]);
    expect(() => parse({ ...fixtureConfig('gemma3'), use_bidirectional_attention: true })).toThrow(
      'use_bidirectional_attention is not supported (false)',
    );
    expect(() =>
      parse({ ...fixtureConfig('gemma3'), layer_types: ['sliding_attention', 'chunked', 'x'] }),
    ).toThrow('layer_types must be a list of 3 of sliding_attention / full_attention');
  });

  it('Phi-3: fused layout, partial rotary, sliding window; longrope with its attention factor', () => {
    expect(parse(fixtureConfig('phi3'))).toMatchObject({
      weightLayout: 'phi3',
      headDim: 8,
      rotaryDim: 4,
      slidingWindow: 4,
      tiedEmbeddings: false,
      normEps: 1e-5,
    });
    const long = parse(fixtureConfig('phi3-longrope'));
    expect(long).toMatchObject({ rotaryDim: 12, tiedEmbeddings: true });
    expect(long.ropeScaling).toMatchObject({
      type: 'longrope',
      factor: 4,
      originalMaxPositionEmbeddings: 4,
      attentionFactor: Math.sqrt(1 + Math.log(4) / Math.log(4)),
    });
    const short = {
      ...fixtureConfig('phi3-longrope'),
      rope_scaling: { type: 'longrope', short_factor: [1, 2] },
    };
    expect(() => parse(short)).toThrow(
      'config.json rope_scaling: short_factor must be a list of 6 numbers (one per rotary frequency), got [1,2]',
    );
  });

  it('SmolLM3: no_rope_layers (1 = RoPE), else every 4th layer without; tied by default', () => {
    const c = parse(fixtureConfig('smollm3'));
    expect(c.layers.map((l) => l.rope)).toEqual(['global', 'none', 'global']);
    expect(c.tiedEmbeddings).toBe(true);
    const byInterval = { ...fixtureConfig('smollm3'), num_hidden_layers: 8, no_rope_layers: null };
    expect(parse(byInterval).layers.map((l) => l.rope === 'global')).toEqual([
      true,
      true,
      true,
      false,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('config.json errors name the file', () => {
  it('an unknown architecture or model_type names itself and lists the supported ones', () => {
    const supported =
      'supported: LlamaForCausalLM (llama), MistralForCausalLM (mistral), Qwen2ForCausalLM (qwen2), ' +
      'Qwen3ForCausalLM (qwen3), Gemma3ForCausalLM (gemma3_text), Phi3ForCausalLM (phi3), ' +
      'SmolLM3ForCausalLM (smollm3), GPT2LMHeadModel (gpt2)';
    expect(() =>
      parse({ ...fixtureConfig('llama'), architectures: ['BertForMaskedLM'], model_type: 'bert' }),
    ).toThrow(
      `/models/x/config.json: architecture "BertForMaskedLM" (model_type "bert") is not supported; ${supported}`,
    );
    const noArchitectures: Record<string, unknown> = { ...fixtureConfig('llama'), model_type: 'olmo2' };
    delete noArchitectures.architectures;
    expect(() => parse(noArchitectures)).toThrow(
      `/models/x/config.json: architecture null (model_type "olmo2") is not supported; ${supported}`,
    );
  });

  it('a config without architectures is read by its model_type', () => {
    const raw = fixtureConfig('gemma3');
    delete raw.architectures;
    expect(parse(raw).architecture).toBe('Gemma3ForCausalLM');
  });

  it('hidden size not divisible by heads', () => {
    expect(() => parse({ ...fixtureConfig('llama'), num_attention_heads: 5 })).toThrow(
      '/models/x/config.json: hidden size 48 is not divisible by 5 attention heads',
    );
  });

  it('heads not a multiple of kv heads', () => {
    expect(() => parse({ ...fixtureConfig('llama'), num_key_value_heads: 3 })).toThrow(
      '/models/x/config.json: 4 attention heads are not a multiple of 3 key/value heads',
    );
  });

  it('a missing required key', () => {
    const raw = fixtureConfig('llama');
    delete raw.vocab_size;
    expect(() => parse(raw)).toThrow('/models/x/config.json: vocab_size is required');
  });

  it('an unsupported rope_scaling type', () => {
    expect(() =>
      parse({ ...fixtureConfig('llama'), rope_scaling: { rope_type: 'yarn', factor: 4 } }),
    ).toThrow('rope_scaling type "yarn" is not supported (default, linear, llama3, longrope)');
  });

  it('an eos id outside the vocabulary', () => {
    expect(() => parse({ ...fixtureConfig('llama'), eos_token_id: [2, 500] })).toThrow(
      'eos_token_id 500 is outside the vocabulary of 96',
    );
  });

  it('text that is not JSON', () => {
    expect(() => parseModelConfig('{', '/m/config.json')).toThrow('/m/config.json: not valid JSON');
  });
});
