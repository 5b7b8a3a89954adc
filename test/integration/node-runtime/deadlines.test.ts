/**
 * Deadlines that never cost a worker, on a real one-worker node: a looping guest (the misbehave
 * example) is stopped at a deadline check and the same worker answers the next request; a module
 * whose start section is slow and whose instances cannot be reset (a fresh instance per request)
 * makes its new instance on its own next request, so another function's request right after it
 * is not held up behind that start section; and a function with a backlog does not make another
 * wait behind all of it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import type { RunningNode } from '../../../node-runtime/node.ts';
import { sleb } from '../../../artifacts/wasm-encoding.ts';
import { assemble, I32, OP } from '../../../node-runtime/testing/assemble.ts';
import { newKey, publish, renderManifests, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request, type Reply } from '../../../devenv/fixtures/http-client.ts';
import { metricSample, startManifestNode } from './node-support.ts';
import { waitFor } from '../../harness/index.ts';

const HOST = 'registry.local';
let work: string;
let node: RunningNode;

/**
 * A WAGI module answering "slow\n" after counting to `iterations`: in its start section, with code
 * that can change a table (a never-called table.set) so every invocation gets a fresh instance;
 * or, `inStart` false, in `_start` on every invocation.
 */
function counting(iterations: number, inStart = true): Uint8Array {
  const text = 'Content-Type: text/plain\n\nslow\n';
  const count = [OP.loop, 0x40, OP.local_get, 0, OP.i32_const, 1, OP.i32_add, OP.local_tee, 0, OP.i32_const, ...sleb(iterations), OP.i32_lt_s, OP.br_if, 0, OP.end];
  const answer = [OP.i32_const, 0, OP.i32_const, ...sleb(64), OP.i32_store, 2, 0, OP.i32_const, 4, OP.i32_const, ...sleb(text.length), OP.i32_store, 2, 0, OP.i32_const, 1, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 8, OP.call, 0, OP.drop];
  return assemble({
    types: [{ params: [I32, I32, I32, I32], results: [I32] }, { params: [], results: [] }],
    imports: [{ module: 'wasi_snapshot_preview1', name: 'fd_write', type: 0 }],
    funcs: inStart
      ? [{ type: 1, locals: [I32], body: count }, { type: 1, body: answer }, { type: 1, body: [OP.i32_const, 0, 0xd0, 0x70, 0x26, 0] }]
      : [{ type: 1, locals: [I32], body: [...count, ...answer] }],
    ...(inStart ? { table: { min: 1 }, start: 1 } : {}),
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: inStart ? 2 : 1 }],
    data: [{ offset: 64, bytes: text }],
  });
}

const call = (path: string): Promise<Reply & { ms: number }> => {
  const t0 = performance.now();
  return request(node.url, path, { host: 'fn.test' }).then((r) => ({ ...r, ms: performance.now() - t0 }));
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-deadlines-'));
  const store = join(work, 'store');
  const trusted = newKey();
  const repo = (name: string) => ({ kind: 'registry' as const, registry: HOST, repository: `flotilla/${name}` });
  const example = async (name: string) => new Uint8Array(await readFile(await buildExample(name)));
  const fns = [
    { name: 'misbehave', ref: await publish(repo('misbehave'), await example('misbehave'), trusted, store), memoryPages: 64, timeoutMs: 300, concurrency: 1 },
    { name: 'hello', ref: await publish(repo('hello'), await example('hello'), trusted, store), timeoutMs: 5000 },
    // A start section of a second or more even on an idle machine (500M iterations took 353 ms there): far past quick's own timeout.
    { name: 'slow', ref: await publish(repo('slow'), counting(2_000_000_000), trusted, store), timeoutMs: 60_000, concurrency: 1 },
    // Busy for a while on every request, with room for a backlog: concurrency above the one worker.
    { name: 'hog', ref: await publish(repo('hog'), counting(60_000_000, false), trusted, store), timeoutMs: 60_000, concurrency: 8 },
    { name: 'quick', ref: await publish(repo('quick'), await example('hello'), trusted, store), timeoutMs: 400 },
  ];
  const manifests = join(work, 'manifests');
  await writeManifests(manifests, 'functions.yaml', renderManifests(fns));
  node = await startManifestNode({ work, manifests, store, trustedPem: trusted.publicPem, workers: 1 });
  expect((await call('/hello')).status).toBe(200);
  expect((await call('/quick')).status).toBe(200);
}, 600_000);

afterAll(async () => {
  await node?.close();
  await rm(work, { recursive: true, force: true });
});

describe('a guest past its deadline', () => {
  it('traps with Timeout at a deadline check, and the same worker serves the next request', async () => {
    const looped = await call('/misbehave?mode=loop');
    expect(looped.status).toBe(504);
    expect(looped.headers['x-flotilla-error']).toBe('Timeout');
    const after = await call('/hello');
    expect(after.status).toBe(200);
    expect(after.body).toContain('Hello');
    // The only worker was never replaced: it stopped the guest itself.
    expect(await metricSample(node.adminUrl, 'flotilla_worker_replacements_total', { reason: 'timeout' })).toBeUndefined();
    // Counted when the worker reports the stop, which may come after the 504 was sent (a loaded machine).
    expect(await waitFor(async () => {
      const n = (await metricSample(node.adminUrl, 'flotilla_invocations_interrupted_total')) ?? 0;
      return n > 0 ? n : undefined;
    }, { timeoutMs: 20_000, what: 'the interruption counted' })).toBe(1);
    expect((await call('/misbehave?mode=ok')).status).toBe(200);
  });
});

describe('a slow start section', () => {
  it('runs on its own function\'s request, never in front of another function\'s', async () => {
    const slow = await call('/slow');
    expect(slow.status).toBe(200);
    // The start section took longer than quick may wait: had the fresh instance been made after
    // this reply, quick would queue behind it on the one worker and time out.
    expect(slow.ms).toBeGreaterThan(400);
    const quick = await call('/quick');
    expect(quick.status).toBe(200);
    expect(quick.ms).toBeLessThan(400);
    // In the listener thread the same start section ran under the inline budget, both when the
    // listener pre-instantiated the module and when the request tried inline: stopped at a
    // deadline check each time (no listener replaced), the request handed to the pool.
    expect(await metricSample(node.adminUrl, 'flotilla_worker_replacements_total', { reason: 'timeout' })).toBeUndefined();
    expect(await metricSample(node.adminUrl, 'flotilla_http_handoffs_total', { reason: 'budget' })).toBeGreaterThanOrEqual(1);
  });
});

describe('fair share between functions', () => {
  it('serves another function as soon as the one worker frees up, ahead of a hog\'s backlog', async () => {
    const one = await call('/hog');
    expect(one.status).toBe(200);
    const d = (await call('/hog')).ms;
    const backlog = Array.from({ length: 5 }, () => call('/hog'));
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, d / 4)));
    const other = await call('/hello');
    expect(other.status).toBe(200);
    // First come, first served would put it after all five (about 5 d); fair, after the one running.
    expect(other.ms).toBeLessThan(2.5 * d);
    expect((await Promise.all(backlog)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });
});
