// How to give onnxruntime-node one copy of a model's frozen weights for several sessions: each option opens
// two sessions of the same weight-heavy graph (L pairs of [I, C] / [C, I] projections, as an MLP stack) in
// a fresh child process and reports resident memory after each open and after one run of each, and the
// seconds to open. Options: today's external-data file on disk; external data from memory (F32, with and
// without MLAS prepacking; BF16 cast to F32 inside the graph); the weights as graph inputs fed from one
// buffer. The figures are in docs/engine.md (Frozen weights).
// Run: npm run bench:weight-sharing   (BENCH_LAYERS default 8, BENCH_HIDDEN 896, BENCH_INTERMEDIATE 4864)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const LAYERS = Number(process.env.BENCH_LAYERS ?? 8);
const C = Number(process.env.BENCH_HIDDEN ?? 896);
const I = Number(process.env.BENCH_INTERMEDIATE ?? 4864);
const ROWS = 256;
/** Make each widened weight wait for its layer's input (see buildModel); on by default. */
const GATE = process.env.BENCH_GATE !== '0';

const OPTIONS = {
  'file-f32': 'F32 initializers in an external data file on disk, loaded by path (today)',
  'memory-f32': 'F32 initializers, external data from one in-memory buffer',
  'memory-f32-noprepack': 'as memory-f32, MLAS prepacking and constant folding off',
  'memory-bf16': 'BF16 initializers from one in-memory buffer, Cast to F32 per use, constant folding off',
  'inputs-f32': 'F32 weights as graph inputs, fed from one buffer at every run',
  'inputs-bf16':
    'BF16 words as uint16 graph inputs fed from one buffer, BitCast + Cast to F32 per use (chosen)',
} as const;
type Option = keyof typeof OPTIONS;

const T = onnx.TensorProto.DataType;

function weightNames(): { name: string; dims: [number, number] }[] {
  return Array.from({ length: LAYERS }, (_, l) => [
    { name: `w${l}.up`, dims: [I, C] as [number, number] },
    { name: `w${l}.down`, dims: [C, I] as [number, number] },
  ]).flat();
}

/** y = x; per weight W [out, in]: y = tanh(y @ cast(W)^T). bf16 weights are cast inside the graph. */
function buildModel(option: Option, dataFile: string): Uint8Array {
  const bf16 = option === 'memory-bf16' || option === 'inputs-bf16';
  const asInputs = option.startsWith('inputs');
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const inits: onnxProto.onnx.ITensorProto[] = [];
  const inputs: onnxProto.onnx.IValueInfoProto[] = [
    {
      name: 'x',
      type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimParam: 'rows' }, { dimValue: C }] } } },
    },
  ];
  let y = 'x';
  let offset = 0;
  if (GATE && bf16) inits.push({ name: 'zero', dataType: T.INT64, dims: [], int64Data: [0] });
  for (const w of weightNames()) {
    const bytes = w.dims[0] * w.dims[1] * (bf16 ? 2 : 4);
    if (asInputs) {
      inputs.push({
        name: w.name,
        type: {
          tensorType: {
            elemType: bf16 ? T.UINT16 : T.FLOAT,
            shape: { dim: w.dims.map((d) => ({ dimValue: d })) },
          },
        },
      });
    } else {
      inits.push({
        name: w.name,
        dataType: bf16 ? T.BFLOAT16 : T.FLOAT,
        dims: w.dims,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: dataFile },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(bytes) },
        ],
      });
    }
    offset += bytes;
    let weight = w.name;
    let words = w.name;
    if (GATE && bf16) {
      // The weight's use waits for the layer's input: its shape is [out, in] + 0 * (rows of y), which
      // onnxruntime cannot compute before y, so widening happens layer by layer, not all at the start.
      nodes.push({
        opType: 'Shape',
        input: [y],
        output: [`${w.name}.yshape`],
        attribute: [{ name: 'end', type: 2, i: 1 }],
      });
      nodes.push({ opType: 'Mul', input: [`${w.name}.yshape`, 'zero'], output: [`${w.name}.nothing`] });
      nodes.push({
        opType: 'Add',
        input: [`${w.name}.dims`, `${w.name}.nothing`],
        output: [`${w.name}.gated`],
      });
      nodes.push({ opType: 'Reshape', input: [w.name, `${w.name}.gated`], output: [`${w.name}.after`] });
      inits.push({ name: `${w.name}.dims`, dataType: T.INT64, dims: [2], int64Data: w.dims });
      words = `${w.name}.after`;
      if (!asInputs) weight = words;
    }
    if (bf16 && asInputs) {
      nodes.push({
        opType: 'BitCast',
        input: [words],
        output: [`${w.name}.bf16`],
        attribute: [{ name: 'to', type: 2, i: T.BFLOAT16 }],
      });
    }
    if (bf16) {
      nodes.push({
        opType: 'Cast',
        input: [asInputs ? `${w.name}.bf16` : words],
        output: [`${w.name}.f32`],
        attribute: [{ name: 'to', type: 2, i: T.FLOAT }],
      });
      weight = `${w.name}.f32`;
    }
    nodes.push({
      opType: 'Transpose',
      input: [weight],
      output: [`${w.name}.t`],
      attribute: [{ name: 'perm', type: 7, ints: [1, 0] }],
    });
    nodes.push({ opType: 'MatMul', input: [y, `${w.name}.t`], output: [`${w.name}.mm`] });
    nodes.push({ opType: 'Tanh', input: [`${w.name}.mm`], output: [`${w.name}.y`] });
    y = `${w.name}.y`;
  }
  const output = {
    name: y,
    type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimParam: 'rows' }, { dimValue: C }] } } },
  };
  return onnx.ModelProto.encode({
    irVersion: 13,
    opsetImport: [{ domain: '', version: 26 }],
    graph: { name: 'weights', node: nodes, initializer: inits, input: inputs, output: [output] },
  }).finish();
}

/** The weights' bytes in one buffer (F32 or BF16 bits), small deterministic values. */
function weightBuffer(bf16: boolean): Uint8Array {
  const count = weightNames().reduce((n, w) => n + w.dims[0] * w.dims[1], 0);
  if (!bf16) return new Uint8Array(Float32Array.from({ length: count }, (_, i) => Math.sin(i) * 0.02).buffer);
  const scratch = new Float32Array(1);
  const word = new Uint32Array(scratch.buffer);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    scratch[0] = Math.sin(i) * 0.02;
    out[i] = (word[0] as number) >>> 16;
  }
  return new Uint8Array(out.buffer);
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

/** One option in this process: open two sessions, run each once; print JSON. */
async function child(option: Option): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'weight-sharing-'));
  try {
    const bf16 = option === 'memory-bf16' || option === 'inputs-bf16';
    const model = buildModel(option, 'weights.bin');
    let buffer: Uint8Array | null = weightBuffer(bf16);
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, model);
    if (option === 'file-f32') {
      writeFileSync(join(dir, 'weights.bin'), buffer);
      buffer = null; // the file is the only copy the process has
    }
    global.gc?.();
    const rss: Record<string, number> = { start: mib(process.memoryUsage().rss) };
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(process.env.BENCH_ARENA === '0' ? { enableCpuMemArena: false } : {}),
      ...(process.env.BENCH_MEM_PATTERN === '0' ? { enableMemPattern: false } : {}),
      ...(process.env.BENCH_ORDER
        ? { extra: { session: { execution_order: process.env.BENCH_ORDER } } }
        : {}),
      ...(buffer && !option.startsWith('inputs')
        ? { externalData: [{ path: 'weights.bin', data: buffer }] }
        : {}),
      ...(option === 'memory-f32-noprepack' || bf16
        ? {
            extra: {
              session: option === 'memory-f32-noprepack' ? { disable_prepacking: '1' } : {},
              optimization: { disable_specified_optimizers: 'ConstantFolding' },
            },
          }
        : {}),
    };
    const sessions: ort.InferenceSession[] = [];
    const openSeconds: number[] = [];
    for (const n of [1, 2]) {
      const started = performance.now();
      sessions.push(await ort.InferenceSession.create(modelPath, options));
      openSeconds.push((performance.now() - started) / 1000);
      rss[`open ${n}`] = mib(process.memoryUsage().rss);
    }
    const x = new ort.Tensor('float32', new Float32Array(ROWS * C).fill(0.5), [ROWS, C]);
    const feeds: Record<string, ort.Tensor> = { x };
    if (option.startsWith('inputs') && buffer) {
      const all = bf16 ? new Uint16Array(buffer.buffer) : new Float32Array(buffer.buffer);
      let at = 0;
      for (const w of weightNames()) {
        const n = w.dims[0] * w.dims[1];
        const part = all.subarray(at, at + n);
        feeds[w.name] =
          part instanceof Uint16Array
            ? new ort.Tensor('uint16', part, w.dims)
            : new ort.Tensor('float32', part, w.dims);
        at += n;
      }
    }
    const runSeconds: number[] = [];
    let check = 0;
    for (const [n, s] of sessions.entries()) {
      const started = performance.now();
      const out = await s.run(feeds);
      runSeconds.push((performance.now() - started) / 1000);
      check = (Object.values(out)[0]?.data as Float32Array)[0] as number;
      rss[`run ${n + 1}`] = mib(process.memoryUsage().rss);
    }
    const weightsMib = mib(weightNames().reduce((a, w) => a + w.dims[0] * w.dims[1], 0) * (bf16 ? 2 : 4));
    const maxRss = mib(process.resourceUsage().maxRSS * 1024);
    console.log(JSON.stringify({ option, weightsMib, rss, maxRss, openSeconds, runSeconds, check }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const params = weightNames().reduce((a, w) => a + w.dims[0] * w.dims[1], 0);
  console.log(
    `${LAYERS} x ([${I}, ${C}] + [${C}, ${I}]) weights = ${(params / 1e6).toFixed(1)}M parameters ` +
      `(${mib(params * 4)} MiB F32); a run is ${ROWS} rows; load average ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    '| option | weights MiB | RSS start | after open 1 | after open 2 | after run 1 | after run 2 | peak | open 1 s | open 2 s | run 1 s | run 2 s |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const option of Object.keys(OPTIONS) as Option[]) {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', import.meta.filename, 'child', option],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    const s = (v: number): string => v.toFixed(2);
    console.log(
      `| ${option} | ${r.weightsMib} | ${r.rss.start} | ${r.rss['open 1']} | ${r.rss['open 2']} | ${r.rss['run 1']} | ` +
        `${r.rss['run 2']} | ${r.maxRss} | ${s(r.openSeconds[0])} | ${s(r.openSeconds[1])} | ${s(r.runSeconds[0])} | ${s(r.runSeconds[1])} |`,
    );
  }
  for (const [option, what] of Object.entries(OPTIONS)) console.log(`- ${option}: ${what}`);
}

if (process.argv[2] === 'child') await child(process.argv[3] as Option);
else main();
