// Best-of-8 sampling, 64 new tokens, workbench (runGeneration: prefill once, fork the cache, batched decode in
// the session worker) vs a PyTorch loop with a KV cache (bench/generate_torch.py: prefill once, expand the
// cache to 8 rows, the same warpers), on CPU with the same thread count, on a random model shaped like
// SmolLM2-135M written as a Hugging Face checkpoint to a temporary folder.
// Run: npm run bench:generate   (BENCH_THREADS default all cores, BENCH_REPEATS default 3, BENCH_LAYERS 30)
// or `npx tsx bench/generate.bench.ts write DIR` to write the checkpoint alone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../src-main/models/index';
import { loadGenerator } from '../src-main/generate/index';
import { runGeneration, type GenerationRequest } from '../src-main/services/generate-job';

const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 30);
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
const [N, NEW_TOKENS] = [8, 64];
const SAMPLING = { temperature: 1, topK: 50, topP: 0.9 };
const PROMPT = 'Write a short note to a friend about the weather this week.';

/** SmolLM2-135M's config.json (Llama, tied embeddings, rope theta 100000); random F32 weights. */
const CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 576,
  intermediate_size: 1536,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  head_dim: 64,
  num_hidden_layers: LAYERS,
  vocab_size: 49152,
  max_position_embeddings: 8192,
  rms_norm_eps: 1e-5,
  rope_theta: 100000,
  hidden_act: 'silu',
  attention_bias: false,
  mlp_bias: false,
  tie_word_embeddings: true,
  bos_token_id: 1,
  eos_token_id: 2,
  torch_dtype: 'float32',
};

/** Uniform values with standard deviation `std` from a fixed LCG (about HF's normal(0, 0.02) init). */
function uniform(dims: number[], std: number, seed: number): TensorToWrite {
  let s = seed >>> 0;
  const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
  const half = std * Math.sqrt(3);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296 - 0.5) * 2 * half;
  }
  return { dims, data };
}

/**
 * A tokenizer.json filling the vocabulary: the printable characters (so the prompt encodes), then filler
 * tokens that decode to short words. generation_config.json sets no eos, so every candidate runs 64 tokens.
 */
function tokenizerFiles(vocab: number): Record<string, unknown> {
  const specials = ['<unk>', '<s>', '</s>'];
  const chars = [...' abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,?!:;\'"-()'];
  const tokens = [...specials, ...chars];
  for (let i = tokens.length; i < vocab; i++) tokens.push(` w${i}`);
  return {
    'tokenizer.json': {
      version: '1.0',
      added_tokens: specials.map((content, id) => ({
        id,
        content,
        special: true,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
      })),
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab: Object.fromEntries(tokens.map((t, id) => [t, id])),
        merges: [],
      },
    },
    'tokenizer_config.json': { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
    'generation_config.json': { eos_token_id: [] },
  };
}

function writeModel(dir: string): void {
  const c = CONFIG;
  const [C, I, D] = [c.hidden_size, c.intermediate_size, c.head_dim];
  const tensors = new Map<string, TensorToWrite>();
  let seed = 1;
  const ones = (n: number): TensorToWrite => ({ dims: [n], data: new Float32Array(n).fill(1) });
  tensors.set('model.embed_tokens.weight', uniform([c.vocab_size, C], 0.02, seed++));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    tensors.set(`${p}input_layernorm.weight`, ones(C));
    tensors.set(`${p}post_attention_layernorm.weight`, ones(C));
    const projections: [string, number, number][] = [
      ['self_attn.q_proj', c.num_attention_heads * D, C],
      ['self_attn.k_proj', c.num_key_value_heads * D, C],
      ['self_attn.v_proj', c.num_key_value_heads * D, C],
      ['self_attn.o_proj', C, c.num_attention_heads * D],
      ['mlp.gate_proj', I, C],
      ['mlp.up_proj', I, C],
      ['mlp.down_proj', C, I],
    ];
    for (const [name, out, inFeatures] of projections)
      tensors.set(`${p}${name}.weight`, uniform([out, inFeatures], 0.02, seed++));
  }
  tensors.set('model.norm.weight', ones(C));
  writeSafetensors(join(dir, 'model.safetensors'), tensors, 'F32');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, 2));
  for (const [name, content] of Object.entries(tokenizerFiles(c.vocab_size)))
    writeFileSync(join(dir, name), JSON.stringify(content));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface TorchResult {
  seconds: number[];
  tokens: number;
  threads: number;
  torch: string;
  blas: string[];
}

function torchReference(dir: string, promptIds: number[]): TorchResult {
  const env = { ...process.env };
  if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = [OPENBLAS, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const script = new URL('./generate_torch.py', import.meta.url).pathname;
  const settings = {
    threads: THREADS,
    repeats: REPEATS,
    n: N,
    newTokens: NEW_TOKENS,
    promptIds,
    ...SAMPLING,
  };
  const out = execFileSync('/usr/bin/python3', [script, dir, JSON.stringify(settings)], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as TorchResult;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'generate-bench-'));
  try {
    writeModel(dir);
    const loadStart = performance.now();
    const generator = await loadGenerator({ modelDir: dir, device: 'cpu', intraOpThreads: THREADS });
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const promptIds = generator.tokenizer.encodeChat(PROMPT);
    const request: GenerationRequest = {
      modelDir: dir,
      prompts: [{ id: 'p', text: PROMPT }],
      n: N,
      maxNewTokens: NEW_TOKENS,
      seed: 1,
      ...SAMPLING,
    };
    const seconds: number[] = [];
    let tokens = 0;
    try {
      for (let run = 0; run <= REPEATS; run++) {
        const result = await runGeneration({ ...request, seed: run }, { generator });
        if (run > 0) seconds.push(result.seconds); // run 0 is the warm-up
        tokens = result.tokens;
      }
    } finally {
      await generator.close();
    }
    const torch = torchReference(dir, promptIds);
    const [w, t] = [median(seconds), median(torch.seconds)];
    console.log(
      `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; threads: ${THREADS} ` +
        `(ORT intra-op, torch.set_num_threads); model: SmolLM2-135M shape, ${LAYERS} layers, F32; ` +
        `prompt ${promptIds.length} tokens, best-of-${N}, ${NEW_TOKENS} new tokens, ` +
        `temperature ${SAMPLING.temperature}, top-k ${SAMPLING.topK}, top-p ${SAMPLING.topP}; ` +
        `1 warm-up + median of ${REPEATS}`,
    );
    console.log(`torch ${torch.torch}, BLAS loaded: ${torch.blas.join(', ') || 'none found'}`);
    const row = (name: string, a: string, b: string, ratio: string): string =>
      `| ${name.padEnd(22)} | ${a.padStart(9)} | ${b.padStart(9)} | ${ratio.padStart(15)} |`;
    console.log(row('', 'workbench', 'torch', 'workbench/torch'));
    console.log(`| ${'-'.repeat(22)} | --------: | --------: | --------------: |`);
    console.log(row('seconds (median)', w.toFixed(2), t.toFixed(2), (w / t).toFixed(2)));
    console.log(
      row(
        'tokens/s',
        (tokens / w).toFixed(1),
        (torch.tokens / t).toFixed(1),
        (t / w).toFixed(2).concat(' (inv)'),
      ),
    );
    console.log(
      `runs s     workbench ${seconds.map((s) => s.toFixed(2)).join(' ')} | torch ${torch.seconds.map((s) => s.toFixed(2)).join(' ')}`,
    );
    console.log(`workbench load (checkpoint, graph, session): ${loadSeconds.toFixed(1)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `generate.bench.ts write DIR` only writes the checkpoint (for profiling one side by hand).
if (process.argv[2] === 'write') writeModel(process.argv[3] as string);
else await main();
