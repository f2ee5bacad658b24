// The families' hub config.json files (fixtures/hub-configs/, transcribed here without network access:
// the fields and shapes as published, the longrope factor lists are stand-ins, not the real values) parse,
// and the parameter count each implies equals the model card's, so shapes, tied heads and fused
// projections are read right at real size.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from './config';
import { canonicalShape } from './load-checkpoint';
import { FIXTURES } from './test-support';
import { weightsFor } from './weight-names';

describe('hub config.json files of the new families', () => {
  it.each([
    ['qwen3-0.6b', 'Qwen3ForCausalLM', 596_049_920],
    ['gemma-3-270m', 'Gemma3ForCausalLM', 268_098_176],
    ['gemma-3-1b', 'Gemma3ForCausalLM', 999_885_952],
    ['phi-3.5-mini', 'Phi3ForCausalLM', 3_821_079_552],
    ['phi-4-mini', 'Phi3ForCausalLM', 3_836_021_760],
    ['smollm3-3b', 'SmolLM3ForCausalLM', 3_075_098_624],
  ])('%s: %s with %i parameters', (name, architecture, parameters) => {
    const path = join(FIXTURES, 'hub-configs', `${name}.json`);
    const config = parseModelConfig(readFileSync(path, 'utf8'), path);
    expect(config.architecture).toBe(architecture);
    const count = weightsFor(config).reduce(
      (n, w) => n + canonicalShape(config, w.canonical).reduce((a, b) => a * b, 1),
      0,
    );
    expect(count).toBe(parameters);
  });

  it('reads the switches that matter at real size', () => {
    const read = (name: string) => {
      const path = join(FIXTURES, 'hub-configs', `${name}.json`);
      return parseModelConfig(readFileSync(path, 'utf8'), path);
    };
    const gemma = read('gemma-3-1b');
    expect(gemma.layers.filter((l) => !l.sliding).length).toBe(4); // layers 6, 12, 18, 24
    expect(gemma).toMatchObject({
      slidingWindow: 512,
      headDim: 256,
      tiedEmbeddings: true,
      finalLogitSoftcap: null,
    });
    expect(read('gemma-3-270m').layers.map((l) => l.sliding)).toEqual(
      gemma.layers.slice(0, 18).map((l) => l.sliding),
    );
    expect(read('phi-4-mini')).toMatchObject({
      headDim: 128,
      rotaryDim: 96,
      numKvHeads: 8,
      tiedEmbeddings: true,
    });
    expect(read('phi-3.5-mini')).toMatchObject({
      rotaryDim: 96,
      ropeScaling: { type: 'longrope', factor: 32 },
    });
    expect(read('smollm3-3b').layers.filter((l) => l.rope === 'none')).toHaveLength(9);
    expect(read('qwen3-0.6b')).toMatchObject({ headDim: 128, hiddenSize: 1024, numHeads: 16, qkNorm: true });
  });
});
