// CUDA readiness without a GPU: every op and tensor type of the graphs we run on CUDA (the DPO step, its
// gradient and update graphs, evaluation, the reference scoring graph and the generator's decoder, for
// each storage dtype) must have a kernel in onnxruntime's CUDA provider (runtime/cuda-kernels.ts), so nothing is
// placed on the CPU behind our back. The models are emitted as on CUDA: weights as initializers from memory.
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { emitModel, Graph, OPSET, type DType } from '../engine/index';
import { buildCachedStepGraph, buildScoringGraph, loadCheckpoint } from '../models/index';
import { FIXTURES } from '../models/test-support';
import * as ort from 'onnxruntime-node';
import { CUDA_KERNELS, graphModel, graphSource, type OnnxTypeName } from '../runtime/index';
import { buildEvalGraph, buildFusedStep, buildGradGraph, buildUpdateGraph } from './dpo-graph';
import { initLoraState, loraModules } from './lora-modules';
import { Rng } from './rng';

const TYPE_NAME: Record<DType, OnnxTypeName> = {
  float32: 'float',
  float64: 'double',
  float16: 'float16',
  bfloat16: 'bfloat16',
  uint16: 'uint16',
  int64: 'int64',
  bool: 'bool',
};

/** "Op(type, ...)" for every node of the model whose op or tensor types have no CUDA kernel. */
function withoutCudaKernel(graph: Graph, weights: 'inputs' | 'memory'): string[] {
  const dtypes = new Map<string, DType>();
  for (const node of graph.nodes) for (const t of node.outputs) dtypes.set(t.name, t.dtype);
  for (const [name, t] of graph.outputs) dtypes.set(name, t.dtype);
  // With weights from memory, BF16 words are bfloat16 initializers (no uint16 anywhere).
  const typeOf = (name: string): OnnxTypeName | undefined => {
    const dtype = dtypes.get(name);
    if (dtype === undefined) return undefined;
    return weights === 'memory' && dtype === 'uint16' ? 'bfloat16' : TYPE_NAME[dtype];
  };
  const model = onnxProto.onnx.ModelProto.decode(emitModel(graph, { weights }).model);
  const missing = new Set<string>();
  for (const node of model.graph?.node ?? []) {
    const op = node.opType as string;
    const kernel = CUDA_KERNELS[op];
    const types = [...(node.input ?? []), ...(node.output ?? [])].map(typeOf);
    const bad = types.filter((t) => t !== undefined && !kernel?.types.includes(t));
    if (!kernel || kernel.since > OPSET || bad.length > 0)
      missing.add(`${op}(${kernel ? [...new Set(bad)].join(', ') : 'no kernel'})`);
  }
  return [...missing].sort();
}

function runGraphs(fixture: string): [string, Graph][] {
  const m = loadCheckpoint(join(FIXTURES, fixture));
  const targets = m.config.weightLayout === 'gpt2' ? ['c_attn', 'c_proj'] : ['q_proj', 'v_proj', 'down_proj'];
  const modules = loraModules(m.config, targets);
  const spec = {
    config: m.config,
    weights: m.weights,
    modules,
    state: initLoraState(modules, 2, new Rng(1)),
    lora: { r: 2, alpha: 4 },
    method: 'dpo' as const,
    loss: {
      loss: 'sigmoid' as const,
      beta: 0.1,
      labelSmoothing: 0,
      sftWeight: 0,
      desirableWeight: 1,
      undesirableWeight: 1,
    },
  };
  const adamw = { kind: 'adamw' as const, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
  return [
    ['step', buildFusedStep(spec, adamw, 1).graph],
    ['grad', buildGradGraph(spec)],
    ['update', buildUpdateGraph(spec, adamw, 1).graph],
    ['eval', buildEvalGraph(spec)],
    ['reference', buildScoringGraph(m.config, m.weights)],
    ['decoder', buildCachedStepGraph(m.config, m.weights, { past: true, positionIds: true })],
  ];
}

describe("the CUDA provider has a kernel for every op and type we emit (onnxruntime's OperatorKernels)", () => {
  it.each(['llama-bf16', 'llama-sharded-f16', 'qwen2', 'gpt2', 'mistral'])('%s', (fixture) => {
    for (const [name, graph] of runGraphs(fixture))
      expect(withoutCudaKernel(graph, 'memory'), `${fixture} ${name} graph`).toEqual([]);
  });

  it('the CUDA form (BF16 initializers from memory) computes what the CPU form does (run here on the CPU)', async () => {
    const m = loadCheckpoint(join(FIXTURES, 'llama-bf16'));
    const model = graphModel(buildScoringGraph(m.config, m.weights));
    const ids = new BigInt64Array([1n, 5n, 9n, 2n]);
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [1, 4]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(4).fill(1n), [1, 4]),
      targets: new ort.Tensor('int64', ids, [1, 4]),
    };
    const logps: Float32Array[] = [];
    for (const device of ['cpu', 'cuda'] as const) {
      const { model: bytes, externalData, extra, bound } = graphSource(model, device);
      const session = await ort.InferenceSession.create(bytes as Uint8Array, {
        executionProviders: ['cpu'],
        ...(externalData ? { externalData } : {}),
        ...(extra ? { extra } : {}),
      });
      const weights = Object.fromEntries(
        Object.entries(bound).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'uint16', t.data, t.dims)]),
      );
      logps.push((await session.run({ ...weights, ...feeds })).token_logprobs?.data as Float32Array);
      await session.release();
    }
    expect(logps[1]).toEqual(logps[0]);
  });

  it('sees what has no kernel: an int64 Tanh, and the CPU form of BF16 weights (BitCast)', () => {
    const g = new Graph();
    g.output('y', g.apply1('Tanh', [g.input('x', 'int64', [2])], {}, 'int64', [2]));
    expect(withoutCudaKernel(g, 'memory')).toEqual(['Tanh(int64)']);
    const [, decoder] = runGraphs('llama-bf16').at(-1) as [string, Graph];
    expect(withoutCudaKernel(decoder, 'inputs')).toEqual(['BitCast(no kernel)']);
  });
});
