// The decoder's model, built from a checkpoint folder: the checkpoint read (a private copy, scanned for
// NaN/Inf), the adapter, the cached-step graph and its emitted bytes. loadGenerator runs this in a worker
// thread (decoder-build-worker.ts), so the seconds it takes at real size never stall the caller's event loop.
import {
  buildCachedStepGraph,
  loadCheckpoint,
  loadPeftAdapter,
  type LoraWeights,
  type ModelConfig,
  type WeightTensor,
} from '../models/index';
// graph-model, not runtime/index: this runs in the build worker, which has no use for onnxruntime-node.
import { graphModel, type GraphModel } from '../runtime/graph-model';

export interface DecoderBuildRequest {
  modelDir: string;
  /** A PEFT LoRA adapter folder applied on top of the model. */
  adapterDir?: string;
  /** Emit the CPU model only (the device asked for is the CPU). */
  cpuOnly: boolean;
}

export interface BuiltDecoder {
  config: ModelConfig;
  /** The emitted model and its fed weights (the checkpoint's own arrays, not copied). */
  model: GraphModel;
}

/** What the build worker posts back. */
export type DecoderBuildReply = { type: 'done'; built: BuiltDecoder } | { type: 'failed'; message: string };

/** The cached-step graph of `weights` (+ LoRA branches), emitted with its weights kept apart. */
export function decoderGraphModel(
  config: ModelConfig,
  weights: ReadonlyMap<string, WeightTensor>,
  options: { lora?: ReadonlyMap<string, LoraWeights>; cpuOnly: boolean },
): GraphModel {
  const graph = buildCachedStepGraph(config, weights, {
    past: true,
    positionIds: true,
    ...(options.lora ? { lora: options.lora } : {}),
  });
  const model = graphModel(graph, { cpuOnly: options.cpuOnly });
  return {
    ...model,
    withInputs: ownBuffer(model.withInputs),
    withMemoryInitializers: model.withMemoryInitializers && ownBuffer(model.withMemoryInitializers),
  };
}

/**
 * The bytes in a buffer of their own, so they can be transferred: a view into a larger buffer (a small
 * Buffer from Node's shared pool, which cannot be transferred) is copied; the emitted model is small (the
 * weights stay out of it), so a copy costs little.
 */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

/** Reads the checkpoint (a private copy) and the adapter, and builds the decoder's model. */
export function buildDecoder(request: DecoderBuildRequest): BuiltDecoder {
  const { config, weights } = loadCheckpoint(request.modelDir, { own: true });
  const lora = request.adapterDir ? loadPeftAdapter(request.adapterDir, config).weights : undefined;
  return {
    config,
    model: decoderGraphModel(config, weights, { ...(lora ? { lora } : {}), cpuOnly: request.cpuOnly }),
  };
}

/** Every ArrayBuffer of a built decoder, each once: postMessage's transfer list (moved, never copied). */
export function builtBuffers(built: BuiltDecoder): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (view: ArrayBufferView | null): void => {
    if (view?.buffer instanceof ArrayBuffer) buffers.add(view.buffer);
  };
  add(built.model.withInputs);
  add(built.model.withMemoryInitializers);
  for (const t of Object.values(built.model.weights)) add(t.data);
  return [...buffers];
}
