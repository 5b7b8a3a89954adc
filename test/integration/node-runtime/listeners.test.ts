/**
 * Listener threads serve the tenant port themselves (reusePort) and run plain requests inline, by
 * default: a real node with two workers (and two listeners), examples signed and served from a
 * manifest directory. Fresh connections spread over the listeners; /metrics counts the inline
 * requests per listener, and a route with retries still goes through the main thread (relayed)
 * and works. A run past the inline budget is handed to the pool with its body, and its function
 * goes straight there afterwards; a function looping in the pool at high concurrency holds neither
 * a listener nor every pool worker.
 */
import * as http from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import type { RunningNode } from '../../../node-runtime/node.ts';
import { waitFor } from '../../harness/index.ts';
import { newKey, publish, renderManifests, routeManifest, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { wagiEcho } from '../../../node-runtime/testing/assemble.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';
import { metricSample, startManifestNode } from './node-support.ts';
import { SLOW_AFTER_OVERRUNS } from '../../../node-runtime/http/inline.ts';

const HOST = 'registry.local';
const WORKERS = 2;
let work: string;
let node: RunningNode;
/** What a second node on the same manifests needs. */
let setup: { manifests: string; store: string; trustedPem: string };
/** The node's log lines (JSON). */
const logged: string[] = [];

function route(name: string, policies: string): string {
  return routeManifest(name, [['hello', 100]], policies);
}

interface FreshReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A request on a connection of its own (the kernel picks a worker's listener per connection); a body is sent chunked unless `length` says. */
function fresh(path: string, headers: Record<string, string> = {}, body?: { readonly bytes: Uint8Array; readonly chunked: boolean }): Promise<FreshReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${node.url}${path}`, { method: body ? 'POST' : 'GET', agent: false, headers: { host: 'fn.test', ...headers, ...(body && !body.chunked ? { 'content-length': String(body.bytes.length) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body?.bytes);
  });
}

const inlineBy = async (worker: number): Promise<number> => (await metricSample(node.adminUrl, 'flotilla_http_inline_requests_total', { worker: String(worker) })) ?? 0;
const inlineTotal = async (): Promise<number> => (await Promise.all([0, 1, 2].map(inlineBy))).reduce((a, b) => a + b, 0);
/** Requests the listeners sent the slow way for `reason` (http/handoff.ts); a scrape brings their counts first. */
const handoffs = async (reason: string): Promise<number> => (await metricSample(node.adminUrl, 'flotilla_http_handoffs_total', { reason })) ?? 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-listeners-'));
  const store = join(work, 'store');
  const trusted = newKey();
  const wasm = new Uint8Array(await readFile(await buildExample('hello')));
  const example = async (name: string) => publish({ kind: 'registry', registry: HOST, repository: `flotilla/${name}` }, new Uint8Array(await readFile(await buildExample(name))), trusted, store);
  const fns = [
    { name: 'hello', ref: await publish({ kind: 'registry', registry: HOST, repository: 'flotilla/hello' }, wasm, trusted, store) },
    // An echo that counts down a loop first: far past the inline budget, well within its timeout.
    { name: 'slow', ref: await publish({ kind: 'registry', registry: HOST, repository: 'flotilla/slow-echo' }, wagiEcho(50_000_000), trusted, store) },
    { name: 'misbehave', ref: await example('misbehave'), timeoutMs: 1500, concurrency: 8 },
  ];
  const manifests = join(work, 'manifests');
  await writeManifests(manifests, 'functions.yaml', renderManifests(fns));
  await writeManifests(manifests, 'routes.yaml', [route('plain', ''), route('retried', '  retries:\n    attempts: 1\n')].join('---\n'));
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  setup = { manifests, store, trustedPem: trusted.publicPem };
  // The default: no workerListeners option.
  node = await startManifestNode({ work, manifests, store, trustedPem: trusted.publicPem, workers: WORKERS, nodeName: 'node-l', logger: pino({ level: 'info' }, lines) });
}, 600_000);

afterAll(async () => {
  await node?.close();
  await rm(work, { recursive: true, force: true });
});

describe('tenant listeners in the workers', () => {
  it('serves plain requests inline on every worker, with the node headers and counted in the usual series', async () => {
    const okBefore = (await metricSample(node.adminUrl, 'flotilla_http_requests_total', { outcome: 'ok' })) ?? 0;
    let sent = 0;
    // The first request of a worker may go the slow way while the module links there.
    await waitFor(async () => {
      const replies = await Promise.all(Array.from({ length: 16 }, () => fresh('/plain', { 'x-flotilla-backend': 'edge/other' })));
      sent += replies.length;
      for (const r of replies) {
        expect(r.status).toBe(200);
        expect(r.headers['x-flotilla-served-by']).toBe('node-l');
        expect(r.headers['x-flotilla-invocation-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.headers['x-flotilla-digest']).toMatch(/^sha256:/);
        expect(r.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
      }
      const per = await Promise.all([0, 1].map(inlineBy));
      return per.every((n) => n > 0) ? per : undefined;
    }, { timeoutMs: 20_000, what: 'inline requests on both workers' });
    // One series per worker index, no more.
    expect(await inlineBy(WORKERS)).toBe(0);
    expect(((await metricSample(node.adminUrl, 'flotilla_http_requests_total', { outcome: 'ok' })) ?? 0) - okBefore).toBe(sent);
    expect(await metricSample(node.adminUrl, 'flotilla_invocations_total', { function: 'edge/hello', outcome: 'ok' })).toBeGreaterThanOrEqual(sent);
  });

  it('sends a route with retries through the main thread, which answers as before', async () => {
    const before = await inlineTotal();
    const policyBefore = await handoffs('routePolicy');
    const replies = await Promise.all(Array.from({ length: 8 }, () => fresh('/retried')));
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.headers['x-flotilla-attempts']).toBe('1');
      expect(r.headers['x-flotilla-served-by']).toBe('node-l');
    }
    expect(await inlineTotal()).toBe(before);
    // Each counted once, under the route's policy, whatever the number of routes or functions.
    expect(await handoffs('routePolicy')).toBe(policyBefore + 8);
  });

  it('refuses a body over the limit with 413 through the main thread, declared or chunked', async () => {
    const big = new Uint8Array((1 << 20) + 1);
    const bodyBefore = await handoffs('body');
    for (const chunked of [false, true]) {
      const r = await fresh('/plain', {}, { bytes: big, chunked });
      expect(r.status, `chunked ${chunked}`).toBe(413);
      expect(r.headers['x-flotilla-error']).toBe('RequestTooLarge');
      expect(r.headers.connection).toBe('close');
    }
    expect(await handoffs('body')).toBe(bodyBefore + 2);
  });

  it('hands a run past the inline budget to the pool with its body, then sends its function straight there', async () => {
    const body = 'a body the pool must see whole '.repeat(40);
    const budgetBefore = await handoffs('budget');
    // The first request of a listener goes the slow way while the module links there; then its
    // runs are handed off at the budget, and the second in a row marks the function slow.
    await waitFor(async () => {
      const r = await fresh('/slow', {}, { bytes: Buffer.from(body), chunked: false });
      expect(r.status, r.body).toBe(200);
      expect(r.body).toBe(body);
      await inlineTotal(); // a scrape brings the listeners' counts (and their marks) to the main thread
      return logged.some((l) => l.includes('Moved function edge/slow to the worker pool')) ? true : undefined;
    }, { timeoutMs: 60_000, what: 'inline runs of the slow echo handed off' });
    // Marked slow for every listener: its next requests go to the pool without an inline attempt
    // (none counts inline), and get their bodies there.
    expect(await handoffs('budget')).toBeGreaterThanOrEqual(budgetBefore + SLOW_AFTER_OVERRUNS);
    const before = await inlineTotal();
    const slowBefore = await handoffs('slow');
    const replies = await Promise.all(Array.from({ length: 4 }, (_, i) => fresh('/slow', {}, { bytes: Buffer.from(`${i} ${body}`), chunked: false })));
    expect(replies.map((r) => r.body)).toEqual([0, 1, 2, 3].map((i) => `${i} ${body}`));
    expect(await inlineTotal()).toBe(before);
    expect(await handoffs('slow')).toBe(slowBefore + 4);
  });

  it('keeps the listeners and a pool worker free while one function loops at high concurrency', async () => {
    const sent = Date.now();
    const loops = Array.from({ length: 4 }, () => fresh('/misbehave?mode=loop').then((r) => ({ status: r.status, ms: Date.now() - sent })));
    let loopsSettled = false;
    void Promise.all(loops).then(() => { loopsSettled = true; });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Inline on the listeners, which no loop holds (each was handed off at the budget) ...
    const plain = await Promise.all(Array.from({ length: 8 }, () => fresh('/plain')));
    expect(plain.map((r) => r.status)).toEqual(Array(8).fill(200));
    // ... and through the main thread to the pool, where the loops take one worker of two (their share), not both.
    const retried = await fresh('/retried');
    expect(retried.status).toBe(200);
    expect(loopsSettled).toBe(false);
    for (const loop of await Promise.all(loops)) {
      expect(loop.status).toBe(504);
      // Stopped at the function's timeout counted from arrival, not restarted by the hand-off.
      expect(loop.ms).toBeLessThan(1500 + 1000);
    }
  });

  it('serves from the main thread with a hop per request when turned off (workerListeners: false)', async () => {
    const off = await startManifestNode({ work: join(work, 'off'), ...setup, workers: 1, workerListeners: false });
    try {
      const r = await request(off.url, '/plain', { host: 'fn.test' });
      expect(r.status).toBe(200);
      expect(await metricSample(off.adminUrl, 'flotilla_http_inline_requests_total', { worker: '0' })).toBeUndefined();
      expect(await metricSample(off.adminUrl, 'flotilla_invocations_total', { function: 'edge/hello', outcome: 'ok' })).toBe(1);
    } finally {
      await off.close();
    }
  });
});
