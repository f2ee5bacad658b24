// Runs DPO training steps (two by default) of a random Llama-shaped model in this process and prints, as one
// JSON line, the process's peak RSS next to the memory model's estimate of it (the weights as this process
// holds them). Used by memory-plan.test.ts in a child process, so that the peak is the steps' alone.
import { canonicalShape, parseModelConfig, type FloatTensor } from '../../models/index';
import { weightsFor } from '../../models/weight-names';
import { LLAMA_TARGET_MODULES } from '../lora';
import { initLoraState, loraModules } from '../lora-modules';
import { estimatePeak, headChunksFor, sessionMemory } from '../memory-plan';
import { DPO_DEFAULTS } from '../objectives';
import { Rng } from '../rng';
import { StepRunner } from '../step-runner';
import { resolveTrainArgs } from '../train-args';

export interface PeakCase {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  pairs: number;
  /** Prompt and completion tokens of every sequence. */
  prompt: number;
  completion: number;
  recompute: boolean;
  /** Optimizer steps on the same batch (default 2: a run's second step can peak above its first). */
  steps?: number;
  /** onnxruntime's CPU arena and memory pattern; default: as trainDpo. */
  cpuArena?: boolean;
  memPattern?: boolean;
}

async function main(spec: PeakCase): Promise<void> {
  const config = parseModelConfig(
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: spec.hidden,
      intermediate_size: spec.intermediate,
      num_attention_heads: spec.heads,
      num_key_value_heads: spec.kvHeads,
      num_hidden_layers: spec.layers,
      vocab_size: spec.vocab,
      max_position_embeddings: 4096,
      rms_norm_eps: 1e-5,
      tie_word_embeddings: true,
    }),
  );
  const rng = new Rng(1);
  const weights = new Map<string, FloatTensor>();
  for (const w of weightsFor(config)) {
    const dims = canonicalShape(config, w.canonical);
    const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
    for (let i = 0; i < data.length; i++)
      data[i] = w.canonical.includes('norm') ? 1 : (rng.next() - 0.5) * 0.04;
    weights.set(w.canonical, { dims, data });
  }
  const modules = loraModules(config, LLAMA_TARGET_MODULES);
  const state = initLoraState(modules, 16, rng);
  const seq = spec.prompt + spec.completion;
  const examples = Array.from({ length: spec.pairs }, (_, p) => {
    const ids = (n: number, k: number) =>
      Array.from({ length: n }, (_, i) => (p * 31 + i * 7 + k) % spec.vocab);
    return {
      prompt: ids(spec.prompt, 0),
      chosen: ids(spec.completion, 1),
      rejected: ids(spec.completion, 2),
    };
  });
  const headChunks = headChunksFor(spec.vocab, 2 * spec.pairs * seq);
  const args = resolveTrainArgs({ batchSize: spec.pairs, device: 'cpu', lr: 1e-4 });
  const runner = await StepRunner.open(
    {
      config,
      weights,
      modules,
      state,
      lora: { r: 16, alpha: 32 },
      method: 'dpo',
      loss: { ...DPO_DEFAULTS, beta: 0.1 },
      headChunks,
      recompute: spec.recompute,
    },
    args,
    { examples, refs: examples.map(() => [-50, -50]), collate: { padTokenId: 0 }, headChunks },
    {
      withEval: false,
      optimizerState: new Map(),
      session: {
        ...sessionMemory(spec.recompute),
        ...(spec.cpuArena === undefined ? {} : { cpuArena: spec.cpuArena }),
        ...(spec.memPattern === undefined ? {} : { memPattern: spec.memPattern }),
      },
    }, // as trainDpo
  );
  const peaks: number[] = [];
  const seconds: number[] = [];
  for (let step = 0; step < (spec.steps ?? 2); step++) {
    const started = performance.now();
    const result = await runner.step(
      examples.map((_, i) => i),
      1e-4,
    );
    for (const [k, v] of result.next) runner.values.set(k, v);
    peaks.push(process.resourceUsage().maxRSS * 1024);
    seconds.push((performance.now() - started) / 1000);
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  await runner.close();
  // One copy of the weights, shared by the JS map and the session.
  const weightBytes = [...weights.values()].reduce((n, t) => n + t.data.byteLength, 0);
  const estimate = estimatePeak(
    {
      config,
      weightBytes,
      loraParams: [...state.values()].reduce((n, t) => n + t.length, 0),
      optimizer: 'adamw',
      maxLength: seq,
    },
    { microBatch: spec.pairs, recompute: spec.recompute, loraR: 16 },
  );
  console.log(JSON.stringify({ measured: peak, estimated: estimate.total, peaks, seconds, estimate }));
}

await main(JSON.parse(process.argv[2] as string) as PeakCase);
