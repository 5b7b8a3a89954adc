/**
 * flotilla:kv through the real engine, with the kv examples in C, Go and AssemblyScript: state on
 * disk survives a runtime restart, a NATS KV bucket is shared by two nodes, and a function never
 * sees another function's keys (on either store).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueName } from '../../harness/index.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { call, startTestNode, type TestNode } from '../../../node-runtime/testing/trigger-node.ts';

let notes: string, counter: string, visits: string;
const open: TestNode[] = [];

beforeAll(async () => {
  [counter, notes, visits] = [await buildExample('kv-counter'), await buildExample('kv-notes'), await buildExample('kv-visits')];
}, 300_000);
afterAll(async () => {
  await Promise.all(open.map((n) => n.close()));
});

async function node(name: string, diskRoot: string, functions: Parameters<typeof startTestNode>[0]['functions'], natsUrl?: string): Promise<TestNode> {
  const n = await startTestNode({ name, diskRoot, functions, ...(natsUrl ? { natsUrl } : {}) });
  open.push(n);
  return n;
}

describe('flotilla:kv on local disk', () => {
  it('keeps state across a runtime restart, in C, Go and AssemblyScript', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kv-disk-'));
    const fns = { 'ns/notes': { wasm: notes }, 'ns/counter': { wasm: counter }, 'ns/visits': { wasm: visits } };
    const a = await node('a', root, fns);
    expect(await call(a, 'ns/notes', 'set greeting\nhello state')).toEqual({ status: 200, text: 'ok\n' });
    expect((await call(a, 'ns/counter', '')).text).toContain('count=1');
    expect((await call(a, 'ns/visits', '')).text).toContain('visits=1');
    await a.close();
    open.splice(open.indexOf(a), 1);

    const b = await node('a-restarted', root, fns);
    expect(await call(b, 'ns/notes', 'get greeting')).toEqual({ status: 200, text: 'hello state' });
    expect((await call(b, 'ns/counter', '')).text).toContain('count=2');
    expect((await call(b, 'ns/visits', '')).text).toMatch(/visits=2\npaths=visits\/\//);
    expect(await call(b, 'ns/notes', 'list gr')).toEqual({ status: 200, text: 'greeting\n' });
    expect(await call(b, 'ns/notes', 'del greeting')).toEqual({ status: 200, text: 'ok\n' });
    expect((await call(b, 'ns/notes', 'get greeting')).status).toBe(404);
  });

  it('expires a key after its TTL', async () => {
    const a = await node('ttl', mkdtempSync(join(tmpdir(), 'kv-ttl-')), { 'ns/notes': { wasm: notes } });
    await call(a, 'ns/notes', 'set short 1\nsoon gone');
    expect((await call(a, 'ns/notes', 'get short')).text).toBe('soon gone');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(a, 'ns/notes', 'get short')).status).toBe(404);
  });

  it('never shows a function another function\'s keys', async () => {
    const a = await node('iso', mkdtempSync(join(tmpdir(), 'kv-iso-')), { 'ns/notes': { wasm: notes }, 'ns/other': { wasm: notes }, 'other-ns/notes': { wasm: notes } });
    await call(a, 'ns/notes', 'set secret\nmine');
    expect((await call(a, 'ns/other', 'get secret')).status).toBe(404);
    expect((await call(a, 'other-ns/notes', 'get secret')).status).toBe(404);
    expect((await call(a, 'ns/other', 'list')).text).toBe('');
    expect((await call(a, 'ns/notes', 'get secret')).text).toBe('mine');
  });

  it('refuses keys over the size limit with a clear status', async () => {
    const a = await node('limits', mkdtempSync(join(tmpdir(), 'kv-lim-')), { 'ns/notes': { wasm: notes } });
    const r = await call(a, 'ns/notes', `set ${'k'.repeat(121)}\nv`);
    expect(r).toEqual({ status: 500, text: 'kv: invalid key\n' });
  });
});

describe('flotilla:kv on a NATS KV bucket', () => {
  it('is shared by two nodes and still scoped to the function', async () => {
    const { url } = harness().nats;
    const fn = uniqueName('shared');
    const fns = { [`ns/${fn}`]: { wasm: notes, state: 'nats' as const }, [`ns/${fn}-other`]: { wasm: notes, state: 'nats' as const } };
    const a = await node('nats-a', mkdtempSync(join(tmpdir(), 'kv-na-')), fns, url);
    const b = await node('nats-b', mkdtempSync(join(tmpdir(), 'kv-nb-')), fns, url);
    expect((await call(a, `ns/${fn}`, 'set colour\nblue')).text).toBe('ok\n');
    expect(await call(b, `ns/${fn}`, 'get colour')).toEqual({ status: 200, text: 'blue' });
    expect((await call(b, `ns/${fn}`, 'set colour\ngreen')).text).toBe('ok\n');
    expect((await call(a, `ns/${fn}`, 'get colour')).text).toBe('green');
    expect((await call(a, `ns/${fn}`, 'list')).text).toBe('colour\n');
    expect((await call(b, `ns/${fn}-other`, 'get colour')).status).toBe(404);
  });
});
