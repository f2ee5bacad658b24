// A loaded model: run it with typed-array feeds and get typed-array outputs back.
import type * as ort from 'onnxruntime-node';
import { openSession, type Device, type SessionOptions } from './device';
import { graphSource, type GraphModel } from './graph-model';
import { fromOrt, toOrt, type Feeds } from './host-tensor';
import { cachedModel, type CachedModel } from './optimized-cache';

export class EngineSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly device: Device,
    readonly reason: string | undefined,
    /** Fed with every run: the frozen weights, when they are graph inputs (GraphModel on the CPU). */
    private readonly bound: Feeds = {},
  ) {}

  /** Loads a model emitted by the engine (by path, so external weights resolve). */
  static async open(modelPath: string, options: SessionOptions = {}): Promise<EngineSession> {
    const opened = await openSession(modelPath, options);
    return new EngineSession(opened.session, opened.device, opened.reason);
  }

  /** Opens a graph model (graphModel); its weights are the caller's arrays, used in place, never copied. */
  static async openGraph(model: GraphModel, options: SessionOptions = {}): Promise<EngineSession> {
    let bound: Feeds = {};
    let cached: CachedModel | undefined;
    const useCache = options.cacheDir !== undefined && (options.optimizationLevel ?? 'all') === 'all';
    const open = () =>
      openSession((device) => {
        const source = graphSource(model, device);
        bound = source.bound;
        cached =
          useCache && device === 'cpu' && typeof source.model !== 'string'
            ? cachedModel(options.cacheDir as string, source.model)
            : undefined;
        if (!cached) return source;
        return {
          ...source,
          model: cached.model,
          ...(cached.level ? { level: cached.level } : {}),
          ...(cached.saveTo ? { saveTo: cached.saveTo } : {}),
        };
      }, options);
    let opened: Awaited<ReturnType<typeof openSession>>;
    try {
      opened = await open();
    } catch (error) {
      if (!cached?.failed()) throw error;
      opened = await open(); // the cached file would not open: removed, so this opens the emitted model
    }
    cached?.opened();
    return new EngineSession(opened.session, opened.device, opened.reason, bound);
  }

  /** The inputs a caller feeds (the bound weights are not among them). */
  get inputNames(): readonly string[] {
    return this.session.inputNames.filter((name) => !(name in this.bound));
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the model; `outputs` limits which outputs are computed (default: all). */
  async run(feeds: Feeds, outputs?: readonly string[]): Promise<Feeds> {
    const missing = this.inputNames.filter((name) => !(name in feeds));
    if (missing.length > 0) throw new Error(`run: missing feeds: ${missing.join(', ')}`);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(this.bound)) ortFeeds[name] = toOrt(t);
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
    const result = outputs
      ? await this.session.run(ortFeeds, [...outputs])
      : await this.session.run(ortFeeds);
    const out: Feeds = {};
    for (const [name, t] of Object.entries(result)) out[name] = fromOrt(t);
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
