// The reward-vs-KL frontier of a lineage (base -> round 1 -> round 2 ...), as the DPO paper's fig. 2 plots it:
// per version, its blind win rate over the base (the latest revealed comparison of the two) against its
// KL(version || base), estimated on samples of the version for that comparison's prompts (version-kl.ts).
// Estimates are kept per (version, comparison) for the life of the process: a comparison never changes.
import type Database from 'better-sqlite3';
import type { CompareResult, Frontier, FrontierPoint } from '../../../src-shared/compare-schemas';
import { ApiError } from '../../../src-shared/errors';
import type { ModelsRepo } from '../../store/models-repo';
import type { KlEstimate } from '../../train/index';
import { versionKl, type VersionKlOptions } from './version-kl';

/** Samples per prompt for the KL estimate (the comparison's prompts; temperature 1). */
export const FRONTIER_KL_SAMPLES = 2;

type KlOf = (modelId: number, prompts: readonly string[], options: VersionKlOptions) => Promise<KlEstimate>;

interface SessionRow {
  id: number;
  seed: number;
  settingsJson: string;
  resultJson: string | null;
}

export function createFrontier(
  db: Database.Database,
  models: Pick<ModelsRepo, 'get' | 'resolve'>,
  klOf: KlOf = (modelId, prompts, options) => versionKl(models, modelId, prompts, options),
) {
  const cache = new Map<string, KlEstimate>();
  const latestComparison = db.prepare<[number, number], SessionRow>(
    `SELECT id, seed, settings_json AS settingsJson, result_json AS resultJson FROM compare_sessions
      WHERE model_a_id = ? AND model_b_id = ? AND status = 'revealed' ORDER BY id DESC LIMIT 1`,
  );
  const promptsOf = db.prepare<[number], { text: string }>(
    'SELECT DISTINCT prompt_text AS text FROM compare_items WHERE session_id = ? ORDER BY position',
  );

  /** The model and its ancestors, base first. */
  function lineage(modelId: number): { id: number; name: string }[] {
    const chain: { id: number; name: string }[] = [];
    for (let id: number | null = modelId; id !== null;) {
      const model = models.get(id);
      if (!model) throw new ApiError('not_found', `modelId: no model with id ${id}`);
      if (chain.some((m) => m.id === id)) throw new Error(`model ${id}: its parents form a cycle`);
      chain.unshift({ id: model.id, name: model.name });
      id = model.parentId;
    }
    return chain;
  }

  async function point(base: number, version: { id: number; name: string }, depth: number) {
    const row = latestComparison.get(base, version.id);
    const empty: FrontierPoint = {
      modelId: version.id,
      name: version.name,
      depth,
      comparisonId: null,
      winRate: null,
      kl: null,
    };
    if (!row || row.resultJson === null) return empty;
    const result = JSON.parse(row.resultJson) as CompareResult;
    const key = `${version.id}:${row.id}`;
    let kl = cache.get(key);
    if (!kl) {
      const settings = JSON.parse(row.settingsJson) as { maxNewTokens: number };
      const prompts = promptsOf.all(row.id).map((p) => p.text);
      kl = await klOf(version.id, prompts, {
        n: FRONTIER_KL_SAMPLES,
        maxNewTokens: settings.maxNewTokens,
        seed: row.seed,
      });
      cache.set(key, kl);
    }
    return {
      ...empty,
      comparisonId: row.id,
      winRate: { rate: result.rate, low: result.low, high: result.high, n: result.n },
      kl,
    };
  }

  async function get(modelId: number): Promise<Frontier> {
    const [base, ...versions] = lineage(modelId);
    if (!base) throw new ApiError('not_found', `modelId: no model with id ${modelId}`);
    const points: FrontierPoint[] = [
      {
        modelId: base.id,
        name: base.name,
        depth: 0,
        comparisonId: null,
        winRate: { rate: 0.5, low: 0.5, high: 0.5, n: 0 },
        kl: { kl: 0, stderr: 0, n: 0 },
      },
    ];
    for (const [i, version] of versions.entries()) points.push(await point(base.id, version, i + 1));
    return { baseModelId: base.id, points };
  }

  return { get };
}

export type FrontierService = ReturnType<typeof createFrontier>;
