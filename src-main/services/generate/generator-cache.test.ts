// GeneratorCache: the same key reuses the warm generator, another key or a busy entry loads afresh, and
// everything is closed when idle, replaced or at close.
import { describe, expect, it } from 'vitest';
import type { LoadedGenerator } from '../../generate/index';
import { GeneratorCache } from './generator-cache';

function fakeLoader() {
  const closed: string[] = [];
  let loads = 0;
  const load = (name: string) => async () => {
    loads += 1;
    return { close: async () => void closed.push(name), name } as unknown as LoadedGenerator;
  };
  return { load, closed, loads: () => loads };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GeneratorCache', () => {
  it('reuses the warm generator for the same model and replaces it for another', async () => {
    const cache = new GeneratorCache();
    const f = fakeLoader();
    const first = await cache.acquire('a', f.load('a1'));
    await first.release();
    const second = await cache.acquire('a', f.load('a2'));
    expect(second.generator).toBe(first.generator);
    expect(f.loads()).toBe(1);
    await second.release();
    await (await cache.acquire('b', f.load('b1'))).release();
    expect(f.closed).toEqual(['a1']);
    expect(cache.warmKey).toBe('b');
    await cache.close();
    expect(f.closed).toEqual(['a1', 'b1']);
  });

  it('gives a second concurrent run its own generator, closed when that run ends', async () => {
    const cache = new GeneratorCache();
    const f = fakeLoader();
    const busy = await cache.acquire('a', f.load('a1'));
    const other = await cache.acquire('a', f.load('a2'));
    expect(other.generator).not.toBe(busy.generator);
    await other.release();
    expect(f.closed).toEqual(['a2']);
    await cache.close();
    expect(f.closed).toEqual(['a2']);
    await busy.release();
    expect(f.closed).toEqual(['a2', 'a1']);
  });

  it('closes the warm generator after the idle time', async () => {
    const cache = new GeneratorCache({ idleMs: 20 });
    const f = fakeLoader();
    await (await cache.acquire('a', f.load('a1'))).release();
    await sleep(50);
    expect(f.closed).toEqual(['a1']);
    expect(cache.warmKey).toBeNull();
  });
});
