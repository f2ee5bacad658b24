// The Models view's pure helpers: lineage order and depth, descendants, sizes and parameter counts.
import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../src-shared/api-models';
import { descendantsOf, formatBytes, formatParameters, lineageRows } from './model-versions';

function version(id: number, parentId: number | null): ModelVersion {
  return {
    id,
    name: `m${id}`,
    kind: parentId === null ? 'imported' : 'trained',
    path: '/m',
    adapterPath: null,
    parentId,
    architecture: 'LlamaForCausalLM',
    dtype: 'float32',
    parameterCount: 1,
    sizeBytes: 1,
    device: 'cpu',
    deviceNote: null,
    generationDefaults: { temperature: null, topP: null, topK: null, maxNewTokens: null },
    thinkingOff: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    removedAt: null,
  };
}

describe('lineageRows', () => {
  it('puts each tuned version under its parent, depth first, oldest first', () => {
    const rows = lineageRows([
      version(1, null),
      version(2, null),
      version(3, 1),
      version(4, 3),
      version(5, 1),
    ]);
    expect(rows.map((r) => [r.version.id, r.depth])).toEqual([
      [1, 0],
      [3, 1],
      [4, 2],
      [5, 1],
      [2, 0],
    ]);
  });

  it('shows a version whose parent is not listed (removed) as a root', () => {
    expect(lineageRows([version(4, 3)]).map((r) => [r.version.id, r.depth])).toEqual([[4, 0]]);
  });
});

describe('descendantsOf', () => {
  it('finds children and grandchildren', () => {
    const all = [version(1, null), version(2, 1), version(3, 2), version(4, null)];
    expect(descendantsOf(all, 1).map((v) => v.id)).toEqual([2, 3]);
    expect(descendantsOf(all, 4)).toEqual([]);
  });
});

describe('formatting', () => {
  it('shows sizes in binary units and says when the files are gone', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(7 * 1024 * 1024)).toBe('7.0 MB');
    expect(formatBytes(null)).toBe('files missing');
  });

  it('shows parameter counts as K, M and B', () => {
    expect(formatParameters(950)).toBe('950');
    expect(formatParameters(20_352)).toBe('20.4K');
    expect(formatParameters(1_834_560)).toBe('1.8M');
    expect(formatParameters(134_515_008)).toBe('135M');
    expect(formatParameters(7_241_732_096)).toBe('7.2B');
    expect(formatParameters(null)).toBe('—');
  });
});
