// "Next round" from a tuned version: the round number from its lineage, the training prompts of its run's
// dataset (never a held-out one), and clear refusals for a base checkpoint or an unknown model.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelsRepo } from '../../store/models-repo';
import { openTempDatabase, type TempDatabase } from '../../store/test-support';
import { EventBus } from '../jobs/event-bus';
import { createDataServices } from '../workbench-services';
import { createRoundPlans } from './round-plan';

let temp: TempDatabase;

beforeEach(() => {
  temp = openTempDatabase();
});
afterEach(() => temp.dispose());

const PROMPTS = ['Q1', 'Q2', 'Q3', 'Q4', 'Q5', 'Q6', 'Q7', 'Q8'];

async function lineageWithDataset() {
  const data = createDataServices(temp.db, new EventBus());
  const rows = PROMPTS.map((prompt, i) => JSON.stringify({ prompt, chosen: `yes ${i}`, rejected: 'no' }));
  await data.imports.importFile({
    fileName: 'pairs.jsonl',
    bytes: new TextEncoder().encode(rows.join('\n')),
    as: 'pairs',
    dataset: 'round one',
  });
  const datasetId = data.datasets.idByName('round one');
  data.datasets.rebuild(datasetId, { evalFraction: 0.25, splitSeed: 3 });
  const repo = new ModelsRepo(temp.db);
  const common = { architecture: 'llama', dtype: 'float32', parameterCount: null, config: null };
  const base = repo.insert({
    ...common,
    name: 'base',
    kind: 'imported',
    path: '/m',
    adapterPath: null,
    parentId: null,
  });
  const tuned = (name: string, parentId: number) =>
    repo.insert({ ...common, name, kind: 'trained', path: '', adapterPath: `/a/${name}`, parentId });
  const round1 = tuned('round 1', base.id);
  const round2 = tuned('round 2', round1.id);
  temp.db
    .prepare(
      `INSERT INTO runs (dataset_id, base_model_id, output_model_id, config_json, status)
       VALUES (?, ?, ?, '{}', 'completed')`,
    )
    .run(datasetId, base.id, round1.id);
  return { datasetId, base, round1, round2, repo };
}

describe('getRoundPlan', () => {
  it("offers the training prompts of the version's dataset, never its held-out ones, for round 2", async () => {
    const { datasetId, base, round1, repo } = await lineageWithDataset();
    const split = temp.db
      .prepare<[number], { text: string; split: string }>(
        `SELECT DISTINCT pr.text, dp.split FROM dataset_pairs dp JOIN pairs p ON p.id = dp.pair_id
           JOIN prompts pr ON pr.id = p.prompt_id WHERE dp.dataset_id = ? ORDER BY pr.id`,
      )
      .all(datasetId);
    const train = split.filter((s) => s.split === 'train').map((s) => s.text);
    const heldOut = split.filter((s) => s.split === 'eval').map((s) => s.text);
    expect(heldOut.length).toBeGreaterThan(0);
    const plan = createRoundPlans(temp.db, repo).plan(round1.id);
    expect(plan).toMatchObject({
      modelId: round1.id,
      modelName: 'round 1',
      round: 2,
      lineage: [
        { id: base.id, name: 'base' },
        { id: round1.id, name: 'round 1' },
      ],
      datasetId,
      datasetName: 'round one',
      promptsLeftOut: 0,
    });
    expect(plan.prompts.map((p) => p.text)).toEqual(train);
    expect(plan.prompts.some((p) => heldOut.includes(p.text))).toBe(false);
    expect(plan.heldOutPromptIds).toHaveLength(heldOut.length);
    expect(plan.heldOutPromptIds.some((id) => plan.prompts.some((p) => p.promptId === id))).toBe(false);
  });

  it('counts the round from the lineage; a version trained elsewhere has no prompts to offer', async () => {
    const { round2, repo } = await lineageWithDataset();
    const plan = createRoundPlans(temp.db, repo).plan(round2.id);
    expect(plan).toMatchObject({ round: 3, runId: null, datasetId: null, prompts: [], heldOutPromptIds: [] });
    expect(plan.lineage.map((m) => m.name)).toEqual(['base', 'round 1', 'round 2']);
  });

  it('refuses a base checkpoint and an unknown model, naming the field', async () => {
    const { base, repo } = await lineageWithDataset();
    const plans = createRoundPlans(temp.db, repo);
    expect(() => plans.plan(base.id)).toThrow(/modelId: "base" is not a tuned version/);
    expect(() => plans.plan(999)).toThrow(/modelId: no model with id 999/);
  });
});
