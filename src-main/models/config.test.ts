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

describe('config.json errors name the file', () => {
  it('an unknown architecture lists the supported ones', () => {
    expect(() => parse({ ...fixtureConfig('llama'), architectures: ['BertForMaskedLM'] })).toThrow(
      '/models/x/config.json: architecture "BertForMaskedLM" is not supported; supported: LlamaForCausalLM, ' +
        'MistralForCausalLM, Qwen2ForCausalLM, GPT2LMHeadModel',
    );
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
    ).toThrow('rope_scaling type "yarn" is not supported (linear, llama3)');
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
