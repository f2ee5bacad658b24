// The ONNX emitter: deterministic bytes, external data for big weights, several outputs, pruning.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel, IR_VERSION, OPSET, saveModel } from './emit';
import { Graph } from './graph';
import { linear } from './nn';
import { exp, relu } from './ops-elementwise';
import { reduceSum } from './ops-reduce';

const { onnx } = onnxProto;
const dir = mkdtempSync(join(tmpdir(), 'engine-emit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function buildModel(weightSize = 8): Graph {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', weightSize]);
  const w = g.param(
    'w',
    Float32Array.from({ length: weightSize * weightSize }, (_, i) => Math.sin(i)),
    [weightSize, weightSize],
  );
  const h = relu(linear(x, w)); // (batch, n)
  g.output('hidden', h);
  g.output('total', reduceSum(h, [1]));
  exp(x); // unused: must not be emitted
  return g;
}

describe('emitModel', () => {
  it('is deterministic: the same graph built twice gives identical bytes', () => {
    const a = emitModel(buildModel()).model;
    const b = emitModel(buildModel()).model;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('writes opset 26 / IR 13, symbolic dims as dim_param, and prunes unused nodes', () => {
    const model = onnx.ModelProto.decode(emitModel(buildModel()).model);
    expect(Number(model.irVersion)).toBe(IR_VERSION);
    expect(Number(model.opsetImport[0]?.version)).toBe(OPSET);
    expect(model.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam).toBe('batch');
    expect(model.graph?.node?.map((n) => n.opType)).not.toContain('Exp');
    expect(model.graph?.output?.map((o) => o.name)).toEqual(['hidden', 'total']);
  });

  it("declares every node output's dtype and shape (value_info), symbolic dims by name", () => {
    // Without them onnxruntime's allocation planner cannot reuse buffers whose dims it could not infer, and
    // opening a large graph grows with the square of its node count (docs/benchmarks.md).
    const graph = onnx.ModelProto.decode(emitModel(buildModel()).model).graph;
    const declared = new Map((graph?.valueInfo ?? []).map((v) => [v.name, v.type?.tensorType]));
    const produced = (graph?.node ?? []).flatMap((n) => n.output ?? []);
    const outputs = new Set((graph?.output ?? []).map((o) => o.name));
    const intermediates = produced.filter((name) => !outputs.has(name));
    expect(intermediates.length).toBeGreaterThan(2);
    for (const name of intermediates) expect(declared.has(name), name).toBe(true);
    const matmul = graph?.node?.find((n) => n.opType === 'MatMul')?.output?.[0] as string;
    const type = declared.get(matmul);
    expect(type?.elemType).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(type?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 8]);
  });

  it('puts weights above the threshold in an external file referenced by relative path; ORT loads it by path', async () => {
    const path = join(dir, 'big.onnx');
    const files = saveModel(buildModel(64), path, { externalThreshold: 1024 });
    expect(files).toEqual([path, `${path}.data`]);
    expect(statSync(`${path}.data`).size).toBe(64 * 64 * 4);
    expect(statSync(path).size).toBeLessThan(4096);
    const inline = join(dir, 'inline.onnx');
    expect(saveModel(buildModel(64), inline)).toEqual([inline]);
    expect(readdirSync(dir)).not.toContain('inline.onnx.data');

    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 128 }, (_, i) => Math.cos(i)),
      [2, 64],
    );
    const [external, embedded] = await Promise.all([path, inline].map((p) => ort.InferenceSession.create(p)));
    const a = await external!.run({ x });
    const b = await embedded!.run({ x });
    expect(Array.from(a.total!.data as Float32Array)).toEqual(Array.from(b.total!.data as Float32Array));
    expect(a.hidden!.dims).toEqual([2, 64]);
  });

  it('refuses a graph without outputs', () => {
    expect(() => emitModel(new Graph())).toThrow('emit: the graph has no outputs');
  });
});
