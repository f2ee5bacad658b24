// Model versions as the Models view shows them: lineage as a depth-first tree (a base checkpoint, then its
// tuned versions indented under it), sizes in bytes and parameter counts in human units.
import type { ModelVersion } from '../../../src-shared/api-models';

export interface TreeRow {
  version: ModelVersion;
  /** 0 for a base checkpoint, 1 for an adapter trained on it, and so on. */
  depth: number;
}

/** Depth-first: each version followed by its children (oldest first); an orphan counts as a root. */
export function lineageRows(versions: readonly ModelVersion[]): TreeRow[] {
  const ids = new Set(versions.map((v) => v.id));
  const children = new Map<number | null, ModelVersion[]>();
  for (const version of [...versions].sort((a, b) => a.id - b.id)) {
    const parent = version.parentId !== null && ids.has(version.parentId) ? version.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), version]);
  }
  const rows: TreeRow[] = [];
  const visit = (parent: number | null, depth: number) => {
    for (const version of children.get(parent) ?? []) {
      rows.push({ version, depth });
      visit(version.id, depth + 1);
    }
  };
  visit(null, 0);
  return rows;
}

/** Every version under `id` in the tree (children, their children, ...). */
export function descendantsOf(versions: readonly ModelVersion[], id: number): ModelVersion[] {
  const found: ModelVersion[] = [];
  const walk = (parent: number) => {
    for (const child of versions.filter((v) => v.parentId === parent)) {
      found.push(child);
      walk(child.id);
    }
  };
  walk(id);
  return found;
}

/** 1536 -> "1.5 KB", 7_340_032 -> "7.0 MB" (powers of 1024, as file managers show them). */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'files missing';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** 1_834_560 -> "1.8M", 135_000_000 -> "135M", 7_240_000_000 -> "7.2B". */
export function formatParameters(count: number | null): string {
  if (count === null) return '—';
  const scaled = (value: number, suffix: string) =>
    `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))}${suffix}`;
  if (count >= 1e9) return scaled(count / 1e9, 'B');
  if (count >= 1e6) return scaled(count / 1e6, 'M');
  if (count >= 1e3) return scaled(count / 1e3, 'K');
  return String(count);
}
