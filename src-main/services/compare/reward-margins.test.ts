// Reward margins of a run's pairs checked against the `logprobs` job run on the dataset's exported TRL rows
// (a separate path: file, readPairs, the CLI's scoring), with the before side from a parent version.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelsRepo } from '../../store/models-repo';
import { openTempDatabase, type TempDatabase } from '../../store/test-support';
import { registerCompareModels, writeRandomAdapter, type CompareModels } from './compare-test-support';
import { EventBus } from '../jobs/event-bus';
import { runLogprobsJob } from '../train/logprobs-job';
import { betaOf, createRewardMargins, maxLengthOf } from './reward-margins';
import { createDataServices } from '../workbench-services';

let temp: TempDatabase;
let models: CompareModels;

beforeEach(async () => {
  temp = openTempDatabase();
  models = await registerCompareModels(temp.db);
});
afterEach(() => {
  temp.dispose();
  models.dispose();
});

const PAIRS = ['Hi?', 'Bye?', 'Why?'].map((prompt, i) => ({ prompt, chosen: `Yes ${i}.`, rejected: `no` }));

async function logps(data: string, adapter?: string) {
  const out = join(temp.dir, `out-${adapter ? 'adapter' : 'ref'}.jsonl`);
  await runLogprobsJob({ model: models.modelDir, data, out, device: 'cpu', ...(adapter ? { adapter } : {}) });
  return readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { chosen_logp: number; rejected_logp: number });
}

describe('reward margins', () => {
  it('equals beta * (log-ratio chosen - log-ratio rejected) from the logprobs job, before 0 for a base parent', async () => {
    const data = createDataServices(temp.db, new EventBus());
    const imported = await data.imports.importFile({
      fileName: 'p.jsonl',
      bytes: new TextEncoder().encode(PAIRS.map((p) => JSON.stringify(p)).join('\n')),
      as: 'pairs',
      dataset: 'd',
    });
    const datasetId = imported.dataset?.id as number;
    const run = (id: number, output: number) =>
      temp.db
        .prepare(
          `INSERT INTO runs (id, dataset_id, base_model_id, output_model_id, config_json, status)
           VALUES (?, ?, ?, ?, '{"beta":0.5,"loss":"sigmoid"}', 'completed')`,
        )
        .run(id, datasetId, models.baseId, output);
    run(1, models.tunedId);
    const margins = createRewardMargins(temp.db, new ModelsRepo(temp.db), { device: 'cpu' });
    const first = await margins.get(1);

    // The trainer's rows for a model with a chat template: TRL conversational, exported to a file.
    const file = join(temp.dir, 'pairs.jsonl');
    writeFileSync(
      file,
      new TextDecoder().decode(data.datasets.exportDataset(datasetId, 'trl-conversational', null).bytes),
    );
    const ref = await logps(file);
    const tuned = await logps(file, models.adapterDir);
    const expected = ref.map(
      (r, i) => 0.5 * (tuned[i]!.chosen_logp - r.chosen_logp - (tuned[i]!.rejected_logp - r.rejected_logp)),
    );
    expect(first.rows.map((r) => r.prompt)).toEqual(['Hi?', 'Bye?', 'Why?']);
    first.rows.forEach((row, i) => {
      expect(row.before).toBe(0);
      expect(row.after).toBeCloseTo(expected[i] as number, 4);
    });
    expect(first.stillWrong).toBe(expected.filter((m) => m <= 0).length);

    // A second round trained on from the tuned version: its before is the first round's after.
    const childAdapter = join(models.modelDir, 'child-adapter');
    await writeRandomAdapter(models.modelDir, childAdapter, 2);
    const child = new ModelsRepo(temp.db).insert({
      name: 'round 2',
      kind: 'trained',
      path: '',
      adapterPath: childAdapter,
      parentId: models.tunedId,
      architecture: null,
      dtype: null,
      parameterCount: null,
      config: null,
    });
    run(2, child.id);
    const second = await margins.get(2);
    expect(second.parent).toEqual({ id: models.tunedId, name: models.tunedName });
    second.rows.forEach((row, i) => expect(row.before).toBeCloseTo(first.rows[i]?.after as number, 5));
    expect(second.rows.map((r) => r.after)).not.toEqual(first.rows.map((r) => r.after));
  });

  it("truncates as the trainer did: the run's maxLength, else min(1024, positions)", () => {
    expect(maxLengthOf('{"maxLength":12}', 64)).toBe(12);
    expect(maxLengthOf('{"beta":0.1}', 64)).toBe(64);
    expect(maxLengthOf('{"maxLength":null}', 4096)).toBe(1024);
  });

  it('reads beta from the run config and names the run when it is missing', () => {
    expect(betaOf('{"beta":0.1}', 3)).toBe(0.1);
    expect(() => betaOf('{"loss":"ipo"}', 3)).toThrow('runId: run 3 has no beta > 0 in its config');
  });
});
