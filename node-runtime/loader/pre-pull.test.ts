/**
 * The pre-pull scheduler against a real disk cache. The pull itself is a fill that writes bytes
 * (and, where a case says so, waits on a gate or fails): the registry and signature side of a
 * pre-pull is ModuleLoader.prePull, exercised with a real registry in
 * test/integration/node-runtime/prepull.test.ts.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BackoffOptions } from '../../api/backoff.ts';
import { parseReference } from '../../artifacts/index.ts';
import { DiskCache } from '../cache/disk-cache.ts';
import type { FunctionDef } from '../resolve/desired-state.ts';
import type { PrePullOutcome } from './module-loader.ts';
import { PrePuller } from './pre-pull.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function fn(name: string, c: string): FunctionDef {
  const text = `registry.example/fns/${name}@${digest(c)}`;
  return { key: `edge/${name}`, module: { kind: 'oci', ref: parseReference(text), digest: digest(c), text }, memoryPages: 16, timeoutMs: 1000, concurrency: 1, env: [], reuse: false, grants: {} };
}

interface Log {
  level: number;
  msg: string;
  digest?: string;
}

async function setup(maxBytes: number, pull: (fn: FunctionDef) => Promise<void> = () => Promise.resolve(), options: { concurrency?: number; retry?: BackoffOptions } = {}) {
  const cache = await DiskCache.open(await mkdtemp(join(tmpdir(), 'flotilla-prepull-')), maxBytes);
  const logs: Log[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(JSON.parse(chunk.toString()) as Log), done()) }));
  const calls: string[] = [];
  const prePull = async (f: FunctionDef, mayEvict: (d: string) => boolean): Promise<PrePullOutcome> => {
    calls.push(f.key);
    const d = f.module.kind === 'oci' ? f.module.digest : '';
    if (cache.has(d)) return { kind: 'cached' };
    const done = await cache.admitIfRoom(d, async (dir) => {
      await pull(f);
      await writeFile(join(dir, 'blob'), new Uint8Array(1000));
    }, mayEvict);
    return 'admitted' in done ? { kind: 'pulled' } : { kind: 'noRoom', ...done.noRoom };
  };
  const puller = new PrePuller({ prePull, evictionsFor: (bytes, mayEvict) => cache.evictionsFor(bytes, undefined, mayEvict), logger, ...options });
  return { cache, logs, calls, puller };
}

/** A pull that waits until released, counting how many wait at once. */
function gate() {
  let open = 0;
  let max = 0;
  const waiting: (() => void)[] = [];
  return {
    pull: () => {
      open++;
      max = Math.max(max, open);
      return new Promise<void>((resolve) => waiting.push(() => (open--, resolve())));
    },
    releaseAll: () => {
      for (const r of waiting.splice(0)) r();
    },
    get waiting() {
      return waiting.length;
    },
    get max() {
      return max;
    },
  };
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe('PrePuller', () => {
  it('pulls every dormant module, at most two at once, and nothing of the functions it runs', async () => {
    const g = gate();
    const { cache, calls, puller, logs } = await setup(100_000, () => g.pull());
    const dormant = ['b', 'c', 'd', 'e', 'f'].map((c) => fn(`f${c}`, c));
    puller.update(dormant, [fn('running', 'a'), fn('same-module', 'b')]);
    for (let round = 0; round < 5 && calls.length < 4; round++) {
      await until('pulls to start', () => g.waiting > 0);
      expect(g.waiting).toBeLessThanOrEqual(2);
      g.releaseAll();
    }
    await until('all pulls to start', () => calls.length === 4);
    // A pull counted in `calls` may reach the gate only after a release: keep releasing until idle.
    let done = false;
    const idle = puller.idle().then(() => {
      done = true;
    });
    while (!done) {
      g.releaseAll();
      await new Promise((r) => setTimeout(r, 5));
    }
    await idle;
    expect(g.max).toBe(2);
    // fb's module is the running same-module's: loaded anyway, not pre-pulled.
    expect(calls.sort()).toEqual(['edge/fc', 'edge/fd', 'edge/fe', 'edge/ff']);
    expect(['a', 'b', 'c', 'd', 'e', 'f'].map((c) => cache.has(digest(c)))).toEqual([false, false, true, true, true, true]);
    expect(logs.filter((l) => l.msg === 'Pre-pulled dormant module')).toHaveLength(4);
  });

  it('skips a module that fits only by evicting one the node runs or holds dormant, and tries again once the assignment changes', async () => {
    const { cache, puller, logs } = await setup(2500);
    await cache.admit(digest('a'), async (dir) => writeFile(join(dir, 'blob'), new Uint8Array(1000)));
    puller.update([fn('fb', 'b')], [fn('runs', 'a')]);
    await puller.idle();
    expect(cache.has(digest('b'))).toBe(true);
    puller.update([fn('fb', 'b'), fn('fc', 'c')], [fn('runs', 'a')]);
    await puller.idle();
    expect([cache.has(digest('a')), cache.has(digest('b')), cache.has(digest('c'))]).toEqual([true, true, false]);
    expect(puller.skipped()).toEqual([digest('c')]);
    const skip = logs.find((l) => l.msg.startsWith('Skipped pre-pull of dormant module'));
    expect(skip?.digest).toBe(digest('c'));
    // b, pre-pulled, is the least recently used entry, but dormant: kept as well.
    expect(skip?.msg).toContain(digest('b'));
    // Still no room: not pulled again on an unrelated change.
    puller.update([fn('fb', 'b'), fn('fc', 'c')], [fn('runs', 'a'), fn('file', 'a')]);
    await puller.idle();
    expect(cache.has(digest('c'))).toBe(false);
    expect(logs.filter((l) => l.msg.startsWith('Skipped pre-pull'))).toHaveLength(1);
    // The running function is gone: its module may go, and fc comes in.
    puller.update([fn('fb', 'b'), fn('fc', 'c')], []);
    await puller.idle();
    expect([cache.has(digest('a')), cache.has(digest('b')), cache.has(digest('c'))]).toEqual([false, true, true]);
    expect(puller.skipped()).toEqual([]);
  });

  it('logs a failure and retries with backoff until it succeeds; never throws', async () => {
    let failuresLeft = 2;
    const { cache, puller, logs, calls } = await setup(100_000, () => (failuresLeft-- > 0 ? Promise.reject(Object.assign(new Error('registry down'), { code: 'ModulePullFailed' })) : Promise.resolve()), { retry: { initialMs: 20, maxMs: 1000 } });
    puller.update([fn('fb', 'b')], []);
    await puller.idle();
    expect(puller.failing().get(digest('b'))).toBe(1);
    await until('the retries to succeed', () => cache.has(digest('b')));
    expect(calls).toEqual(['edge/fb', 'edge/fb', 'edge/fb']);
    const warnings = logs.filter((l) => l.msg.startsWith('Pre-pull of dormant module failed: registry down'));
    // 20 ms doubling, equal jitter: the first wait in [10, 20), the second in [20, 40).
    const waits = warnings.map((l) => (l as Log & { failures: number; retryInMs: number }).retryInMs);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(10);
    expect(waits[0]).toBeLessThan(20);
    expect(waits[1]).toBeGreaterThanOrEqual(20);
    expect(waits[1]).toBeLessThan(40);
    expect(puller.failing().size).toBe(0);
  });

  it('drops the retry of a function no longer dormant, and pulls nothing after close', async () => {
    const { cache, puller, calls } = await setup(100_000, () => Promise.reject(new Error('registry down')), { retry: { initialMs: 20, maxMs: 1000 } });
    puller.update([fn('fb', 'b')], []);
    await puller.idle();
    puller.update([], [fn('fb', 'b')]);
    expect(puller.failing().size).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(calls).toEqual(['edge/fb']);
    puller.close();
    puller.update([fn('fc', 'c')], []);
    await puller.idle();
    expect(calls).toEqual(['edge/fb']);
    expect(cache.has(digest('c'))).toBe(false);
  });
});
