// A disk cache of onnxruntime's optimized models: the first session of a model (level 'all') saves the
// model as onnxruntime optimized it, and later sessions of the same model, in this process or another, open
// that file with optimizations off. Opening the DPO step at Qwen2.5-0.5B's shape takes ~3-5 s instead of
// 15-20 s (docs/benchmarks.md). The key is the emitted model's bytes (every shape and option is in them),
// onnxruntime's version and the CPU, since level 'all' may pick CPU-specific kernels.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, homedir } from 'node:os';
import { join } from 'node:path';

/** Where cached optimized models live: $DPO_WORKBENCH_SESSION_CACHE, or the user's cache folder. 'off': none. */
export function defaultSessionCacheDir(): string | null {
  const set = process.env.DPO_WORKBENCH_SESSION_CACHE;
  if (set === 'off') return null;
  if (set) return set;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dpo-workbench', 'sessions');
}

let ortVersion: string | undefined;
function onnxruntimeVersion(): string {
  ortVersion ??= (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string })
    .version;
  return ortVersion;
}

/** The cache file of `model` (emitted ONNX bytes) in `dir`, for CPU sessions at level 'all'. */
export function optimizedModelPath(dir: string, model: Uint8Array): string {
  const hash = createHash('sha256');
  hash.update(
    `onnxruntime ${onnxruntimeVersion()} ${process.platform} ${process.arch} ${cpus()[0]?.model}\n`,
  );
  hash.update(model);
  return join(dir, `${hash.digest('hex')}.onnx`);
}

/** The most the cache folder keeps: 1 GiB (a step graph at 0.5B is a few MB; weights are never in it). */
export const SESSION_CACHE_MAX_BYTES = 1024 ** 3;

/**
 * Keeps `dir` within `maxBytes`: removes the least recently used cached models (by modification time, which
 * a hit renews) until the rest fits. Temporary files of saves in progress are left alone.
 */
export function pruneSessionCache(dir: string, maxBytes = SESSION_CACHE_MAX_BYTES): string[] {
  let entries: { path: string; bytes: number; used: number }[];
  try {
    entries = readdirSync(dir)
      .filter((name) => name.endsWith('.onnx'))
      .map((name) => {
        const path = join(dir, name);
        const stat = statSync(path);
        return { path, bytes: stat.size, used: stat.mtimeMs };
      });
  } catch {
    return []; // no folder, or one removed while listing: nothing to keep small
  }
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const removed: string[] = [];
  for (const entry of entries.sort((a, b) => a.used - b.used)) {
    if (total <= maxBytes) break;
    rmSync(entry.path, { force: true });
    total -= entry.bytes;
    removed.push(entry.path);
  }
  return removed;
}

export interface CachedModel {
  /** What to open: the cached optimized model, or the emitted one. */
  model: Uint8Array;
  /** 'disabled' for a cached model (it is optimized already); undefined: the session's own level. */
  level?: 'disabled';
  /** Where onnxruntime saves its optimized model (a temporary name, renamed by `opened`). */
  saveTo?: string;
  /** After the session opened: moves a fresh save into place. */
  opened(): void;
  /** After opening failed: a cached file that cannot be opened is removed (then open `model` again). */
  failed(): boolean;
}

/** The model to open for `model`'s bytes with a cache in `dir`. */
export function cachedModel(dir: string, model: Uint8Array): CachedModel {
  const path = optimizedModelPath(dir, model);
  if (existsSync(path)) {
    try {
      const bytes = readFileSync(path);
      try {
        const now = new Date();
        utimesSync(path, now, now); // recently used: the last to be pruned
      } catch {
        // a read-only cache still serves
      }
      return {
        model: bytes,
        level: 'disabled',
        opened: () => undefined,
        failed: () => {
          rmSync(path, { force: true });
          return true;
        },
      };
    } catch {
      // unreadable: open the emitted model and save it again
    }
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return { model, opened: () => undefined, failed: () => false }; // no cache folder: open as it is
  }
  const temporary = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  return {
    model,
    saveTo: temporary,
    opened: () => {
      try {
        if (existsSync(temporary)) renameSync(temporary, path);
        pruneSessionCache(dir);
      } catch {
        rmSync(temporary, { force: true }); // a cache that cannot store only costs the next open its time
      }
    },
    failed: () => {
      rmSync(temporary, { force: true });
      return false;
    },
  };
}
