/**
 * The node runtime end to end on loopback: real example functions built from source, pushed as
 * signed Wasm artifacts to a local store and to the harness registry, served from a watched
 * manifest directory through real HTTP. Misbehaving functions must leave the node healthy and
 * every other function answering.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import { startNode, type RunningNode } from '../../../node-runtime/node.ts';
import { ManifestDirSource } from '../../../node-runtime/standalone/manifest-dir-source.ts';
import { wagiCounter } from '../../../node-runtime/testing/assemble.ts';
import { harness, waitFor } from '../../harness/index.ts';
import { newKey, publish, renderManifests, writeManifests, type FunctionManifest } from '../../../devenv/fixtures/modules.ts';
import { request, type Reply } from '../../../devenv/fixtures/http-client.ts';
import { startManifestNode } from './node-support.ts';

const HOST = 'registry.local';
let work: string;
let node: RunningNode;
let manifests: string;
let fns: FunctionManifest[];
let trustedPem: string;

/** The wasm layer blob of a cache entry (the largest blob: manifest, config and signatures are small). */
async function findWasmBlob(entry: string): Promise<string> {
  const dir = join(entry, 'blobs', 'sha256');
  const sized = await Promise.all((await readdir(dir)).map(async (f) => ({ f: join(dir, f), size: (await stat(join(dir, f))).size })));
  return sized.sort((a, b) => b.size - a.size)[0]!.f;
}
const call = (name: string, query = '', o: Parameters<typeof request>[2] = {}): Promise<Reply> => request(node.url, `/${name}${query}`, { host: 'fn.test', ...o });

async function othersStillAnswer(): Promise<void> {
  expect((await request(node.adminUrl, '/healthz')).status).toBe(200);
  const hello = await call('hello');
  expect(hello.status).toBe(200);
  expect(hello.body).toContain('Hello');
  const echo = await call('echo', '', { body: 'still here' });
  expect(echo.status).toBe(200);
  expect(echo.body).toContain('still here');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-node-it-'));
  const store = join(work, 'store');
  const trusted = newKey();
  trustedPem = trusted.publicPem;
  const stranger = newKey();
  const wasm = async (name: string) => new Uint8Array(await readFile(await buildExample(name)));
  const repo = (name: string) => ({ kind: 'registry' as const, registry: HOST, repository: `flotilla/${name}` });
  const registry = harness().registry.host;
  fns = [
    { name: 'hello', ref: await publish(repo('hello'), await wasm('hello'), trusted, store) },
    { name: 'echo', ref: await publish(repo('echo'), await wasm('echo'), trusted, store), env: { GREETING: 'granted' } },
    // compute comes from the harness registry: pulled over HTTP and verified.
    { name: 'compute', ref: await publish({ kind: 'registry', registry, repository: `node-it/compute-${Date.now()}` }, await wasm('compute'), trusted) },
    { name: 'misbehave', ref: await publish(repo('misbehave'), await wasm('misbehave'), trusted, store), memoryPages: 64, timeoutMs: 700, concurrency: 1 },
    { name: 'counter', ref: await publish(repo('counter'), wagiCounter(), trusted, store) },
    { name: 'counter-reuse', ref: await publish(repo('counter'), wagiCounter(), trusted, store), reuse: true, concurrency: 1 },
    { name: 'unsigned', ref: await publish(repo('unsigned'), await wasm('hello'), null, store) },
    { name: 'stranger', ref: await publish(repo('stranger'), await wasm('echo'), stranger, store) },
  ];
  manifests = join(work, 'manifests');
  await writeManifests(manifests, 'functions.yaml', renderManifests(fns));
  node = await startManifestNode({ work, manifests, store, trustedPem: trusted.publicPem, queueLimit: 2 });
}, 600_000);

afterAll(async () => {
  await node?.close();
  await rm(work, { recursive: true, force: true });
});

describe('serving signed example functions over HTTP', () => {
  it('answers the C, Go and AssemblyScript examples through their routes', async () => {
    const hello = await call('hello');
    expect(hello).toMatchObject({ status: 200 });
    expect(hello.body).toContain('Hello from Flotilla');
    expect(hello.headers['x-flotilla-invocation-id']).toMatch(/^[0-9a-f-]{36}$/);
    // Which module answered: the digest the function is pinned to.
    expect(`@${String(hello.headers['x-flotilla-digest'])}`).toBe(/@sha256:[a-f0-9]{64}$/.exec(fns.find((f) => f.name === 'hello')?.ref ?? '')?.[0]);

    const echo = await call('echo', '/sub/path?x=1', { body: 'ping' });
    expect(echo.status).toBe(200);
    expect(echo.body).toContain('ping');
    expect(echo.body).toContain('path: /sub/path');
    expect(echo.body).toContain('query: x=1');

    const compute = await call('compute', '?n=10', { body: 'abc' });
    expect(compute.status).toBe(200);
    expect(JSON.parse(compute.body)).toMatchObject({ n: 10, prime: 29, bodyBytes: 3 });
  });

  it('continues the caller trace and returns a new span', async () => {
    const reply = await call('hello', '', { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    expect(reply.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$/);
  });

  it('answers 404 RouteNotFound for unrouted requests', async () => {
    const reply = await request(node.url, '/nothing-here', { host: 'fn.test' });
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'RouteNotFound' });
  });
});

describe('no state leaks between invocations', () => {
  it('gives every request a pristine instance by default', async () => {
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) bodies.push((await call('counter')).body);
    expect(bodies).toEqual(Array(6).fill('11'));
  });

  it('keeps state only for a function that opted into instance reuse', async () => {
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) bodies.push((await call('counter-reuse')).body);
    // One worker runs it (concurrency 1 does not pin a worker), so counts rise per worker: never all "11".
    expect(bodies.some((b) => b !== '11')).toBe(true);
  });
});

describe('misbehaving functions leave the node healthy', () => {
  it('stops an endless loop at its timeout with 504 Timeout', async () => {
    const t0 = Date.now();
    const reply = await call('misbehave', '?mode=loop');
    expect(reply.status).toBe(504);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'Timeout', message: expect.stringMatching(/function edge\/misbehave did not answer/) as unknown, invocationId: expect.any(String) as unknown });
    expect(Date.now() - t0).toBeLessThan(5000);
    await othersStillAnswer();
  });

  it('turns a trap into 500 Trap naming the function and the reason', async () => {
    const reply = await call('misbehave', '?mode=trap');
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'Trap', message: 'function edge/misbehave trapped: unreachable' });
    await othersStillAnswer();
  });

  it('turns a stack overflow into a 500 error naming the function', async () => {
    const reply = await call('misbehave', '?mode=stack');
    expect(reply.status).toBe(500);
    const body = JSON.parse(reply.body) as { error: string; message: string };
    expect(['Trap', 'StackOverflow']).toContain(body.error);
    expect(body.message).toMatch(/^function edge\/misbehave /);
    await othersStillAnswer();
  });

  it('makes memory.grow fail at the function limit (64 pages = 4 MiB)', async () => {
    const reply = await call('misbehave', '?mode=alloc');
    expect(reply.status).toBe(200);
    const mib = Number(/malloc failed after (\d+) MiB/.exec(reply.body)?.[1]);
    expect(mib).toBeGreaterThanOrEqual(1);
    expect(mib).toBeLessThan(4);
    await othersStillAnswer();
  });

  it('answers 503 with Retry-After when a function is saturated, and recovers', async () => {
    const loops = [call('misbehave', '?mode=loop'), call('misbehave', '?mode=loop'), call('misbehave', '?mode=loop')];
    await new Promise((r) => setTimeout(r, 100));
    const refused = await call('misbehave', '?mode=loop');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'Overloaded' });
    await othersStillAnswer();
    expect((await Promise.all(loops)).map((r) => r.status)).toEqual([504, 504, 504]);
    expect((await call('misbehave', '?mode=ok')).status).toBe(200);
  });

  it('refuses bodies over the request limit with 413', async () => {
    const reply = await call('echo', '', { body: new Uint8Array((1 << 20) + 1) });
    expect(reply.status).toBe(413);
    await othersStillAnswer();
  });
});

describe('verify before execute', () => {
  it.each([
    ['unsigned', 'NoSignature'],
    ['stranger', 'UntrustedKey'],
  ])('refuses %s with SignatureRejected (%s)', async (name, reason) => {
    const reply = await call(name);
    expect(reply.status).toBe(502);
    const body = JSON.parse(reply.body) as { error: string; message: string };
    expect(body.error).toBe('SignatureRejected');
    expect(body.message).toContain(reason);
    // Refused before it entered the cache: nothing of it is kept on disk.
    const digest = /@sha256:([a-f0-9]{64})$/.exec(fns.find((f) => f.name === name)!.ref)![1]!;
    expect(await readdir(join(work, 'cache'))).not.toContain(`sha256-${digest}`);
  });
});

describe('observability', () => {
  it('exports Prometheus metrics for invocations, cold starts, pulls, cache and signatures', async () => {
    const text = (await request(node.adminUrl, '/metrics')).body;
    expect(text).toMatch(/flotilla_invocations_total\{function="edge\/hello",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/flotilla_invocations_total\{function="edge\/misbehave",outcome="Timeout"\} [1-9]/);
    expect(text).toMatch(/flotilla_invocations_total\{function="edge\/misbehave",outcome="Trap"\} [1-9]/);
    // Cold starts are instantiations on the request path: the listeners pre-instantiated hello when it
    // was placed (no cold start), compute runs in the pool, which instantiated it for its first request.
    const cold = text.split('\n').filter((l) => l.startsWith('flotilla_cold_starts_total'));
    expect(cold).toContain('flotilla_cold_starts_total{function="edge/compute"} 1');
    expect(cold.find((l) => l.includes('"edge/hello"'))).toBeUndefined();
    expect(text).toMatch(/flotilla_module_pulls_total\{outcome="Pulled"\} [1-9]/);
    expect(text).toMatch(/flotilla_signature_verifications_total\{result="Verified"\} [1-9]/);
    expect(text).toMatch(/flotilla_signature_verifications_total\{result="NoSignature"\} [1-9]/);
    expect(text).toMatch(/flotilla_module_cache_requests_total\{cache="memory",result="hit"\} [1-9]/);
    // Loops past their deadline stop at a deadline check: counted, and no worker was replaced for them.
    expect(text).toMatch(/^flotilla_invocations_interrupted_total [1-9]/m);
    expect(text).not.toMatch(/flotilla_worker_replacements_total\{reason="timeout"\} [1-9]/);
    expect(text).toMatch(/flotilla_invocation_duration_seconds_bucket/);
  });
});

describe('disk cache', () => {
  it('re-checks the digest on read: a corrupted entry is dropped and pulled again', async () => {
    const digest = /@(sha256:[a-f0-9]{64})$/.exec(fns.find((f) => f.name === 'hello')!.ref)![1]!;
    const entry = join(work, 'cache', digest.replace(':', '-'));
    const layer = await findWasmBlob(entry);
    const good = await readFile(layer);
    await writeFile(layer, Buffer.alloc(good.length, 0x61));
    const second = await startNode({
      source: new ManifestDirSource(manifests, pino({ level: 'silent' })),
      logger: pino({ level: 'silent' }),
      port: 0,
      cacheDir: join(work, 'cache'),
      trust: { keys: [trustedPem], identities: [] },
      pull: { localStore: join(work, 'store') },
      workers: 1,
    });
    try {
      const reply = await request(second.url, '/hello', { host: 'fn.test' });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('Hello from Flotilla');
      expect(Buffer.compare(await readFile(layer), good)).toBe(0);
      const metrics = (await request(second.adminUrl, '/metrics')).body;
      expect(metrics).toMatch(/flotilla_module_pulls_total\{outcome="Pulled"\} [1-9]/);
    } finally {
      await second.close();
    }
  });
});

describe('standalone mode follows the manifest directory', () => {
  it('serves a route added to the directory without a restart', async () => {
    const hello = fns.find((f) => f.name === 'hello')!;
    await writeManifests(manifests, 'more.yaml', renderManifests([{ ...hello, name: 'hello-two' }]));
    await waitFor(async () => ((await call('hello-two')).status === 200 ? true : undefined), { timeoutMs: 10_000, what: 'new route' });
    expect((await call('hello-two')).body).toContain('Hello');
  });

  it('keeps serving the last good state when the directory stops validating', async () => {
    await writeManifests(manifests, 'broken.yaml', 'apiVersion: flotilla.dev/v1alpha1\nkind: WasmFunction\nmetadata:\n  name: Bad_Name\nspec: {}\n');
    await new Promise((r) => setTimeout(r, 600));
    expect((await call('hello')).status).toBe(200);
    await rm(join(manifests, 'broken.yaml'));
  });
});
