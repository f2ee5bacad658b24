// Test helpers for the models: the committed fixtures and their PyTorch references, and a small
// onnxruntime-node (CPU) session over an emitted graph (models may not import the runtime layer).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { emitModel, type DType, type Graph, type TensorData } from '../engine/index';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** One per family and storage case; written by scripts/model-fixtures/make_model_fixtures.py. */
export const FIXTURE_NAMES = [
  'llama',
  'llama-tied-llama3',
  'mistral',
  'qwen2',
  'gpt2',
  'llama-sharded-f16',
  'llama-bf16',
  'qwen3',
  'gemma3',
  'phi3',
  'phi3-longrope',
  'smollm3',
] as const;

/** The fixtures with a PEFT adapter under adapter/ and its reference (reference.json `adapter`). */
export const ADAPTER_FIXTURE_NAMES = ['qwen3', 'gemma3', 'phi3', 'phi3-longrope', 'smollm3'] as const;

export interface Scores {
  logits_shape: [number, number, number];
  logits: number[];
  next_token_logprobs: number[][];
  completion_logprobs: number[];
}

export interface Reference {
  input_ids: number[][];
  attention_mask: number[][];
  prompt_length: number;
  /** The same scores with the fixture's PEFT adapter (adapter/) applied. */
  adapter?: Scores;
  logits_shape: [number, number, number];
  logits: number[];
  /** next_token_logprobs[b][t] = log p(input_ids[b][t+1] | input_ids[b][..t]) */
  next_token_logprobs: number[][];
  /** Sum over real tokens after the first prompt_length of each row. */
  completion_logprobs: number[];
}

export function readReference(name: string): Reference {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'reference.json'), 'utf8')) as Reference;
}

export interface Fed {
  dtype: DType;
  data: TensorData;
  dims: readonly number[];
}

export type Fetched = Record<string, Fed>;

export function int64(rows: number[][]): Fed {
  return {
    dtype: 'int64',
    data: BigInt64Array.from(rows.flat(), BigInt),
    dims: [rows.length, rows[0]?.length ?? 0],
  };
}

/** An ORT CPU session over `graph`, emitted in memory. */
export class GraphSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** The model's frozen weights, fed with every run as the runtime does (emit's `weights: 'inputs'`). */
    private readonly weights: Record<string, Fed>,
  ) {}

  static async open(graph: Graph): Promise<GraphSession> {
    const { model, weightInputs } = emitModel(graph, { weights: 'inputs' });
    const fed = new Map(graph.weights().map((w) => [w.name, w]));
    const weights = Object.fromEntries(weightInputs.map((name) => [name, fed.get(name) as Fed]));
    const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
    return new GraphSession(session, weights);
  }

  async run(feeds: Record<string, Fed>): Promise<Fetched> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, fed] of Object.entries({ ...this.weights, ...feeds }))
      ortFeeds[name] = new ort.Tensor(fed.dtype === 'bfloat16' ? 'uint16' : fed.dtype, fed.data, fed.dims);
    const out: Fetched = {};
    for (const [name, t] of Object.entries(await this.session.run(ortFeeds))) {
      out[name] = { dtype: t.type as DType, data: t.data as TensorData, dims: [...t.dims] };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
