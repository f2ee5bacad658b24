// `merge` on each new family's fixture and its PEFT adapter: the merged folder holds exactly the base's
// tensor names (Phi-3's qkv_proj and gate_up_proj fused again) and scores as the PyTorch reference with the
// adapter does (reference.json `adapter`, from scripts/model-fixtures/make_model_fixtures.py).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildScoringGraph, loadCheckpoint, SafetensorsFile } from '../../models/index';
import {
  ADAPTER_FIXTURE_NAMES,
  FIXTURES,
  GraphSession,
  int64,
  maxAbsDiff,
  readReference,
} from '../../models/test-support';
import { runMergeJob } from './merge-job';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('merge: base + PEFT adapter -> a checkpoint that loads without PEFT', () => {
  it.each(ADAPTER_FIXTURE_NAMES)(
    '%s: same tensor names as the base, logits as the reference with the adapter',
    async (name) => {
      const out = mkdtempSync(join(tmpdir(), `merged-${name}-`));
      dirs.push(out);
      const model = join(FIXTURES, name);
      await runMergeJob({ model, adapter: join(model, 'adapter'), out });
      const names = (folder: string): string[] =>
        [...SafetensorsFile.open(join(folder, 'model.safetensors')).tensors.keys()].sort();
      expect(names(out)).toEqual(names(model));
      const { config, weights } = loadCheckpoint(out);
      const ref = readReference(name);
      const session = await GraphSession.open(buildScoringGraph(config, weights));
      const result = await session.run({
        input_ids: int64(ref.input_ids),
        attention_mask: int64(ref.attention_mask),
        targets: int64(ref.input_ids),
      });
      await session.release();
      expect(maxAbsDiff(result.logits?.data as Float32Array, ref.adapter?.logits ?? [])).toBeLessThan(1e-4);
    },
  );
});
