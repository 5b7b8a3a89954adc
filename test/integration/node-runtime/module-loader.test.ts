/**
 * The loader inside a real node (startNode): modules signed into OCI layouts on disk, pulled into
 * a real disk cache, compiled by V8 and run on the worker pool, asserted through HTTP answers,
 * /metrics and the files on disk. The slow registry is a real HTTP server that never answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../../artifacts/index.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';
import { newKey, publish, type SigningKey } from '../../../devenv/fixtures/modules.ts';
import { startNode, type NodeOptions, type RunningNode } from '../../../node-runtime/node.ts';
import type { DesiredState, FunctionDef, RouteDef } from '../../../node-runtime/resolve/desired-state.ts';
import { wagiHello } from '../../../node-runtime/testing/assemble.ts';

let work: string;
let key: SigningKey;
let store: string;
const nodes: RunningNode[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-loader-'));
  store = join(work, 'store');
  key = newKey();
});
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close();
});
afterAll(() => rm(work, { recursive: true, force: true }));

const fnOf = (name: string, ref: string, timeoutMs = 5000): FunctionDef => {
  const parsed = parseReference(ref);
  return { key: `t/${name}`, module: { kind: 'oci', ref: parsed, digest: parsed.digest!, text: ref }, memoryPages: 16, timeoutMs, concurrency: 2, env: [], reuse: false, grants: {} };
};
const routeOf = (fn: FunctionDef, timeoutMs = 5000): RouteDef => ({ key: fn.key, host: '*', pathPrefix: `/${fn.key.split('/')[1]}`, methods: [], backends: [{ functionKey: fn.key, weight: 1 }], timeoutMs });

/** A node in this process serving `fns` from the layouts under `store`, caching in `cacheDir`. */
async function nodeWith(cacheDir: string, fns: readonly FunctionDef[], o: Partial<NodeOptions> = {}, routes = fns.map((f) => routeOf(f))): Promise<RunningNode> {
  const state: DesiredState = { functions: new Map(fns.map((f) => [f.key, f])), routes, triggers: [] };
  const node = await startNode({
    source: { start: (apply) => Promise.resolve(apply(state)), close: () => Promise.resolve() },
    logger: pino({ level: 'silent' }),
    port: 0,
    cacheDir,
    trust: { keys: [key.publicPem], identities: [] },
    pull: { localStore: store },
    workers: 1,
    ...o,
  });
  nodes.push(node);
  return node;
}

async function metric(node: RunningNode, name: string, labels: string): Promise<number> {
  const line = (await request(node.adminUrl, '/metrics')).body.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function published(name: string, body: string): Promise<{ fn: FunctionDef; entry: string }> {
  const ref = await publish({ kind: 'registry', registry: 'loader.test', repository: `t/${name}` }, wagiHello(body), key, store);
  const fn = fnOf(name, ref);
  return { fn, entry: join(work, `cache-${name}`, (fn.module as { digest: string }).digest.replace(':', '-')) };
}

/** The wasm layer's file in a cache entry, found through the entry's manifest. */
async function wasmBlob(entry: string, digest: string): Promise<string> {
  const blob = (d: string) => join(entry, 'blobs', 'sha256', d.slice('sha256:'.length));
  const manifest = JSON.parse(await readFile(blob(digest), 'utf8')) as { layers: { mediaType: string; digest: string }[] };
  return blob(manifest.layers.find((l) => l.mediaType.includes('wasm'))!.digest);
}

describe('ModuleLoader in a node', () => {
  it('a wasm layer changed on disk after verification is dropped and pulled again, never run', async () => {
    const { fn, entry } = await published('swapped', 'original\n');
    // Compiled modules are not kept (1 byte), so every request reads the entry again.
    const node = await nodeWith(join(work, 'cache-swapped'), [fn], { compiledCacheBytes: 1 });
    expect((await request(node.url, '/swapped')).body).toBe('original\n');
    const wasm = await wasmBlob(entry, (fn.module as { digest: string }).digest);
    await writeFile(wasm, wagiHello('tampered\n'));
    const reply = await request(node.url, '/swapped');
    expect(reply.body).toBe('original\n');
    expect(await metric(node, 'flotilla_module_pulls_total', 'outcome="Pulled"')).toBe(2);
    expect(Buffer.compare(await readFile(wasm), Buffer.from(wagiHello('original\n')))).toBe(0);
  });

  it('a manifest corrupted on disk is dropped and pulled again after a restart, not refused', async () => {
    const { fn, entry } = await published('manifest', 'kept\n');
    const cacheDir = join(work, 'cache-manifest');
    const first = await nodeWith(cacheDir, [fn]);
    expect((await request(first.url, '/manifest')).status).toBe(200);
    await first.close();
    nodes.splice(nodes.indexOf(first), 1);
    const manifest = join(entry, 'blobs', 'sha256', (fn.module as { digest: string }).digest.slice('sha256:'.length));
    await writeFile(manifest, `${await readFile(manifest, 'utf8')} `);
    const second = await nodeWith(cacheDir, [fn]);
    const reply = await request(second.url, '/manifest');
    expect(reply.status, reply.body).toBe(200);
    expect(reply.body).toBe('kept\n');
    expect(await metric(second, 'flotilla_module_pulls_total', 'outcome="Pulled"')).toBe(1);
  });

  it('a module verified once in the process is not verified again when it is read again', async () => {
    const { fn } = await published('verified', 'once\n');
    const node = await nodeWith(join(work, 'cache-verified'), [fn], { compiledCacheBytes: 1 });
    for (let i = 0; i < 3; i++) expect((await request(node.url, '/verified')).body).toBe('once\n');
    expect(await metric(node, 'flotilla_signature_verifications_total', 'result="Verified"')).toBe(1);
    expect(await metric(node, 'flotilla_module_cache_requests_total', 'cache="verified",result="hit"')).toBeGreaterThanOrEqual(3);
  });

  it('reading a cached module after a restart writes nothing to the cache (mtimes, ctimes and inodes unchanged)', async () => {
    const { fn } = await published('readonly', 'read\n');
    const cacheDir = join(work, 'cache-readonly');
    const first = await nodeWith(cacheDir, [fn]);
    expect((await request(first.url, '/readonly')).status).toBe(200);
    await first.close();
    nodes.splice(nodes.indexOf(first), 1);
    const snapshot = async () => {
      const out: Record<string, string> = {};
      const walk = async (p: string): Promise<void> => {
        const st = await stat(p);
        out[p] = `${st.ino} ${st.mtimeMs} ${st.ctimeMs} ${st.size}`;
        if (st.isDirectory()) for (const name of await readdir(p)) await walk(join(p, name));
      };
      await walk(cacheDir);
      return out;
    };
    const before = await snapshot();
    // Far enough apart that a write would show in the timestamps.
    await new Promise((r) => setTimeout(r, 20));
    const second = await nodeWith(cacheDir, [fn]);
    expect((await request(second.url, '/readonly')).body).toBe('read\n');
    expect(await metric(second, 'flotilla_signature_verifications_total', 'result="Verified"')).toBe(1);
    expect(await snapshot()).toEqual(before);
  });

  describe('a registry that stalls', () => {
    let stall: Server;
    let host: string;
    beforeAll(async () => {
      // Accepts every connection and never answers: what a registry behind a dead proxy looks like.
      stall = createServer(() => undefined);
      await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
      host = `127.0.0.1:${(stall.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      stall.closeAllConnections();
      await new Promise((r) => stall.close(r));
    });

    it('does not hold a request past its route timeout: 504 naming the stage and the limit; the load stops at its own bound', async () => {
      const fn = fnOf('stalled', `${host}/t/stalled@sha256:${'ab'.repeat(32)}`);
      const node = await nodeWith(join(work, 'cache-stalled'), [fn], { loadTimeoutMs: 2500 }, [routeOf(fn, 700)]);
      const t0 = performance.now();
      const reply = await request(node.url, '/stalled');
      const waited = performance.now() - t0;
      expect(reply.status, reply.body).toBe(504);
      expect(waited).toBeLessThan(1500);
      expect(reply.body).toContain('t/stalled');
      expect(reply.body).toContain('pull stage');
      expect(reply.body).toContain('FunctionRoute spec.timeoutMs');
      // The load itself gives up at its bound and says which flag sets it.
      await expect.poll(() => node.report()['t/stalled']?.state, { timeout: 5000 }).toBe('Failed');
      expect(node.report()['t/stalled']?.message).toContain('--module-load-timeout-ms');
    });
  });
});
