import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskCache } from './disk-cache.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const fill = (bytes: number) => async (dir: string) => {
  await writeFile(join(dir, 'blob'), new Uint8Array(bytes));
};

describe('DiskCache', () => {
  it('admits entries atomically and finds them again after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-cache-'));
    const cache = await DiskCache.open(dir, 10_000);
    const path = await cache.admit(digest('a'), fill(100));
    expect(await readdir(path)).toEqual(['blob']);
    const reopened = await DiskCache.open(dir, 10_000);
    expect(reopened.get(digest('a'))).toBe(path);
    expect(reopened.bytes).toBe(100);
  });

  it('evicts the least recently used entries to stay under its size', async () => {
    const evicted: string[] = [];
    const cache = await DiskCache.open(await mkdtemp(join(tmpdir(), 'flotilla-cache-')), 2500, { evicted: (d) => evicted.push(d) });
    await cache.admit(digest('a'), fill(1000));
    await new Promise((r) => setTimeout(r, 5));
    await cache.admit(digest('b'), fill(1000));
    await new Promise((r) => setTimeout(r, 5));
    cache.get(digest('a')); // a is now more recent than b
    await cache.admit(digest('c'), fill(1000));
    expect(evicted).toEqual([digest('b')]);
    expect([cache.has(digest('a')), cache.has(digest('b')), cache.has(digest('c'))]).toEqual([true, false, true]);
    expect(cache.bytes).toBeLessThanOrEqual(2500);
  });

  it('never evicts a pinned entry', async () => {
    const cache = await DiskCache.open(await mkdtemp(join(tmpdir(), 'flotilla-cache-')), 1500);
    await cache.admit(digest('a'), fill(1000));
    await cache.pin(digest('a'), () => cache.admit(digest('b'), fill(1000)));
    expect(cache.has(digest('a'))).toBe(true);
  });

  it('drops leftovers of a fill that crashed and keeps no half entry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-cache-'));
    await mkdir(join(dir, '.fill-deadbeef'));
    await writeFile(join(dir, '.fill-deadbeef', 'blob'), 'partial');
    const cache = await DiskCache.open(dir, 10_000);
    expect(await readdir(dir)).toEqual([]);
    await expect(cache.admit(digest('d'), () => Promise.reject(new Error('network died')))).rejects.toThrow('network died');
    expect(await readdir(dir)).toEqual([]);
    expect(cache.has(digest('d'))).toBe(false);
  });

  it('refuses an entry larger than the whole cache', async () => {
    const cache = await DiskCache.open(await mkdtemp(join(tmpdir(), 'flotilla-cache-')), 100);
    await expect(cache.admit(digest('e'), fill(1000))).rejects.toMatchObject({ code: 'ModulePullFailed' });
  });
  it('a guarded admission makes room only with entries its guard allows, else is refused leaving nothing behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-cache-'));
    const cache = await DiskCache.open(dir, 2500);
    await cache.admit(digest('a'), fill(1000));
    await new Promise((r) => setTimeout(r, 5));
    await cache.admit(digest('b'), fill(1000));
    expect(cache.evictionsFor(1000)).toEqual([digest('a')]);
    expect(cache.evictionsFor(1000, undefined, (d) => d !== digest('a'))).toEqual([digest('b')]);
    // Neither may go: refused, naming what it would have had to evict.
    const refused = await cache.admitIfRoom(digest('c'), fill(1000), () => false);
    expect(refused).toEqual({ noRoom: { bytes: 1000, wouldEvict: [digest('a')] } });
    expect(cache.has(digest('c'))).toBe(false);
    expect((await readdir(dir)).sort()).toEqual([`sha256-${'a'.repeat(64)}`, `sha256-${'b'.repeat(64)}`]);
    // a is kept, b may go: b goes although a is older.
    expect(await cache.admitIfRoom(digest('c'), fill(1000), (d) => d !== digest('a'))).toEqual({ admitted: join(dir, `sha256-${'c'.repeat(64)}`) });
    expect([cache.has(digest('a')), cache.has(digest('b')), cache.has(digest('c'))]).toEqual([true, false, true]);
    // The guarded entry counts as the least recently used: the next admission evicts it, not a.
    await cache.admit(digest('d'), fill(1000));
    expect([cache.has(digest('a')), cache.has(digest('c')), cache.has(digest('d'))]).toEqual([true, false, true]);
  });

  it('an admit joining a guarded admission of the same digest that is refused goes ahead on its own', async () => {
    const cache = await DiskCache.open(await mkdtemp(join(tmpdir(), 'flotilla-cache-')), 1500);
    await cache.admit(digest('a'), fill(1000));
    const guarded = cache.admitIfRoom(digest('b'), fill(1000), () => false);
    const plain = cache.admit(digest('b'), fill(1000));
    expect(await guarded).toMatchObject({ noRoom: { wouldEvict: [digest('a')] } });
    expect(await plain).toContain(`sha256-${'b'.repeat(64)}`);
    expect([cache.has(digest('a')), cache.has(digest('b'))]).toEqual([false, true]);
  });
});
