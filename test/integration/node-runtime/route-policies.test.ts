/**
 * FunctionRoute policies enforced by a real node runtime on loopback: rate limit (429 past the
 * burst), retries (a canary backend that traps is retried on the other backend; attempts bounded
 * by count, per-try timeout and the route's timeout) and the circuit breaker (opens after N
 * failures, one trial after openMs closes or reopens it). Real example functions (hello, and
 * misbehave, which traps or loops on request), signed and served from a manifest directory.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import { RoutePolicies } from '../../../node-runtime/http/route-policy.ts';
import { RouteTable } from '../../../node-runtime/http/routes.ts';
import type { RunningNode } from '../../../node-runtime/node.ts';
import type { RouteDef } from '../../../node-runtime/resolve/desired-state.ts';
import { waitFor } from '../../harness/index.ts';
import { newKey, publish, renderManifests, routeManifest, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request, type Reply } from '../../../devenv/fixtures/http-client.ts';
import { metricSample, startManifestNode } from './node-support.ts';

const HOST = 'registry.local';
let work: string;
let node: RunningNode;

/** A FunctionRoute on host *.test at /<name>; `backends` as "fn:weight", `policies` YAML lines under spec. */
function route(name: string, backends: readonly string[], policies: string): string {
  return routeManifest(name, backends.map((b) => {
    const [fn = '', weight = ''] = b.split(':');
    return [fn, Number(weight)] as const;
  }), policies);
}

const ROUTES = [
  route('limited', ['hello:100'], '  rateLimit:\n    requestsPerSecond: 1\n    burst: 3\n'),
  // A canary that traps half the traffic: with one retry, the retry goes to the backend not tried yet.
  route('canary', ['misbehave:50', 'hello:50'], '  retries:\n    attempts: 1\n    retryOn: [5xx]\n'),
  route('canary-bare', ['misbehave:50', 'hello:50'], ''),
  route('trapping', ['misbehave:100'], '  retries:\n    attempts: 2\n'),
  route('looping', ['misbehave:100'], '  timeoutMs: 1500\n  retries:\n    attempts: 9\n    perTryTimeoutMs: 400\n    retryOn: [timeout]\n'),
  route('fenced', ['misbehave:100'], '  circuitBreaker:\n    consecutiveErrors: 3\n    openMs: 1000\n'),
  route('fenced-canary', ['misbehave:50', 'hello:50'], '  circuitBreaker:\n    consecutiveErrors: 2\n    openMs: 60000\n'),
  route('plain', ['hello:100'], ''),
  // A limit far above what the test sends: the cost of the check, never a refusal.
  route('metered', ['hello:100'], '  rateLimit:\n    requestsPerSecond: 1000000\n    burst: 1000000\n'),
  route('guarded', ['hello:100'], '  rateLimit:\n    requestsPerSecond: 1000000\n    burst: 1000000\n  retries:\n    attempts: 2\n  circuitBreaker:\n    consecutiveErrors: 5\n'),
];

const call = (path: string): Promise<Reply> => request(node.url, path, { host: 'fn.test' });
const errorOf = (r: Reply): unknown => (JSON.parse(r.body) as { error?: unknown }).error;

/** A counter of the node's /metrics, 0 before its first increment. */
const metric = async (name: string, labels: Record<string, string>): Promise<number> => (await metricSample(node.adminUrl, name, labels)) ?? 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-route-policies-'));
  const store = join(work, 'store');
  const trusted = newKey();
  const wasm = async (name: string) => new Uint8Array(await readFile(await buildExample(name)));
  const repo = (name: string) => ({ kind: 'registry' as const, registry: HOST, repository: `flotilla/${name}` });
  const fns = [
    { name: 'hello', ref: await publish(repo('hello'), await wasm('hello'), trusted, store) },
    // Its own timeout is long: the routes' per-try and route timeouts are what stop a loop here.
    { name: 'misbehave', ref: await publish(repo('misbehave'), await wasm('misbehave'), trusted, store), memoryPages: 64, timeoutMs: 10_000, concurrency: 4 },
  ];
  const manifests = join(work, 'manifests');
  await writeManifests(manifests, 'functions.yaml', renderManifests(fns));
  await writeManifests(manifests, 'routes.yaml', ROUTES.join('---\n'));
  node = await startManifestNode({ work, manifests, store, trustedPem: trusted.publicPem });
  // Warm both modules so timings below measure policies, not compilation.
  expect((await call('/hello')).status).toBe(200);
  expect((await call('/misbehave?mode=ok')).status).toBe(200);
}, 600_000);

afterAll(async () => {
  await node?.close();
  await rm(work, { recursive: true, force: true });
});

describe('rateLimit', () => {
  it('admits the burst, then answers 429 RateLimited with Retry-After, and admits again after a token is back', async () => {
    const before = await metric('flotilla_http_requests_total', { outcome: 'RateLimited' });
    const replies: Reply[] = [];
    for (let i = 0; i < 5; i++) replies.push(await call('/limited'));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    const refused = replies[3]!;
    expect(refused.headers['x-flotilla-error']).toBe('RateLimited');
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toBe('application/json');
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'RateLimited', message: expect.stringContaining('route edge/limited admits 1 requests/s (burst 3)') as unknown });
    expect(await metric('flotilla_http_requests_total', { outcome: 'RateLimited' })).toBe(before + 2);
    // The other routes are not limited by this one's bucket.
    expect((await call('/plain')).status).toBe(200);
    // 1 token per second: within about a second the route admits one more request, and only one.
    const after = await waitFor(async () => {
      const r = await call('/limited');
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 3000, intervalMs: 100, what: 'a token back in the bucket' });
    expect(after.status).toBe(200);
    expect((await call('/limited')).status).toBe(429);
  });
});

describe('retries', () => {
  it('turn a canary that traps into successes by retrying on the other backend', async () => {
    const retriesBefore = await metric('flotilla_http_retries_total', { route: 'edge/canary' });
    const replies: Reply[] = [];
    for (let i = 0; i < 20; i++) replies.push(await call('/canary?mode=trap'));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    const attempts = replies.map((r) => Number(r.headers['x-flotilla-attempts']));
    expect(attempts.every((n) => n === 1 || n === 2)).toBe(true);
    // Half the first attempts go to misbehave: all 20 picking hello first has odds of 1 in 2^20.
    const retried = attempts.filter((n) => n === 2).length;
    expect(retried).toBeGreaterThan(0);
    expect(await metric('flotilla_http_retries_total', { route: 'edge/canary' })).toBe(retriesBefore + retried);
    // The same backends without retries: the traps reach the caller.
    const bare: Reply[] = [];
    for (let i = 0; i < 20; i++) bare.push(await call('/canary-bare?mode=trap'));
    expect(bare.some((r) => r.status === 500 && errorOf(r) === 'Trap')).toBe(true);
    expect(bare.every((r) => r.headers['x-flotilla-attempts'] === undefined)).toBe(true);
  });

  it('give up after 1 + attempts tries and answer the last failure', async () => {
    const reply = await call('/trapping?mode=trap');
    expect(reply.status).toBe(500);
    expect(errorOf(reply)).toBe('Trap');
    expect(reply.headers['x-flotilla-attempts']).toBe('3');
    // A success is never retried.
    const ok = await call('/trapping?mode=ok');
    expect(ok.status).toBe(200);
    expect(ok.headers['x-flotilla-attempts']).toBe('1');
  });

  it('bound each try by perTryTimeoutMs and all of them by the route timeoutMs', async () => {
    const t0 = performance.now();
    const reply = await call('/looping?mode=loop');
    const elapsed = performance.now() - t0;
    expect(reply.status).toBe(504);
    expect(errorOf(reply)).toBe('Timeout');
    const attempts = Number(reply.headers['x-flotilla-attempts']);
    // 1500 ms at 400 ms per try: 4 tries at most (the 4th cut short by the route deadline), never the 10 attempts allow.
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(2500);
    process.stderr.write(`route-policies: looping route answered 504 after ${attempts} tries in ${Math.round(elapsed)} ms (perTryTimeoutMs 400, timeoutMs 1500)\n`);
  });
});

describe('circuitBreaker', () => {
  it('opens after consecutiveErrors failures, answers 503 CircuitOpen while open, then one trial closes it', async () => {
    for (let i = 0; i < 3; i++) expect((await call('/fenced?mode=trap')).status).toBe(500);
    const openedAt = performance.now();
    // Open: even a request that would succeed is not sent.
    const refused = await call('/fenced?mode=ok');
    expect(refused.status).toBe(503);
    expect(refused.headers['x-flotilla-error']).toBe('CircuitOpen');
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'CircuitOpen', message: expect.stringContaining('route edge/fenced') as unknown });
    expect(await metric('flotilla_circuit_opened_total', { route: 'edge/fenced', function: 'edge/misbehave' })).toBe(1);
    // Other routes to the same function have their own breakers.
    expect((await call('/trapping?mode=ok')).status).toBe(200);

    // After openMs the trial goes through; its success closes the circuit.
    const trial = await waitFor(async () => {
      const r = await call('/fenced?mode=ok');
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 3000, intervalMs: 50, what: 'the circuit half-open' });
    expect(performance.now() - openedAt).toBeGreaterThanOrEqual(950);
    expect(trial.status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call('/fenced?mode=ok')).status).toBe(200);
  });

  it('a failed trial opens the circuit again for openMs', async () => {
    for (let i = 0; i < 3; i++) expect((await call('/fenced?mode=trap')).status).toBe(500);
    expect((await call('/fenced?mode=ok')).status).toBe(503);
    const trial = await waitFor(async () => {
      const r = await call('/fenced?mode=trap');
      return r.status === 500 ? r : undefined;
    }, { timeoutMs: 3000, intervalMs: 50, what: 'the trial request' });
    expect(errorOf(trial)).toBe('Trap');
    const reopened = await call('/fenced?mode=ok');
    expect(reopened.status).toBe(503);
    expect(errorOf(reopened)).toBe('CircuitOpen');
    expect(await metric('flotilla_circuit_opened_total', { route: 'edge/fenced', function: 'edge/misbehave' })).toBe(3);
  });

  it('is per backend: the open backend gets nothing, the others take all the traffic', async () => {
    // Trap until misbehave's circuit on this route opens (hello answers the other half meanwhile).
    const opened = () => metric('flotilla_circuit_opened_total', { route: 'edge/fenced-canary', function: 'edge/misbehave' });
    let sent = 0;
    while ((await opened()) === 0 && sent < 60) {
      await call('/fenced-canary?mode=trap');
      sent++;
    }
    expect(await opened()).toBe(1);
    const replies: Reply[] = [];
    for (let i = 0; i < 20; i++) replies.push(await call('/fenced-canary?mode=trap'));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(replies.every((r) => r.body.includes('Hello'))).toBe(true);
  });
});

describe('overhead', () => {
  /** Requests/s of `concurrency` keep-alive clients hammering `path` for `ms`; every answer must be 200. */
  async function throughput(path: string, ms: number, concurrency: number): Promise<number> {
    const until = performance.now() + ms;
    let done = 0;
    const statuses = new Set<number>();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        statuses.add((await call(path)).status);
        done++;
      }
    }));
    expect([...statuses]).toEqual([200]);
    return done / (ms / 1000);
  }

  it('measures requests/s of a route without policies, with a rate limit, and with all three', async () => {
    const paths = { plain: '/plain', rateLimit: '/metered', all: '/guarded' } as const;
    const runs: Record<keyof typeof paths, number[]> = { plain: [], rateLimit: [], all: [] };
    for (const path of Object.values(paths)) await throughput(path, 300, 8);
    // Interleaved, so the machine's noise (other work on two cores) falls on all three alike.
    for (let i = 0; i < 5; i++) for (const [k, path] of Object.entries(paths)) runs[k as keyof typeof paths].push(await throughput(path, 700, 8));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
    const fmt = (k: keyof typeof paths) => `${median(runs[k]).toFixed(0)} req/s (runs ${runs[k].map((x) => x.toFixed(0)).join(', ')})`;
    process.stderr.write(`route-policies: hello, 8 keep-alive clients, medians of 5: no policy ${fmt('plain')}; rateLimit ${fmt('rateLimit')}; rateLimit+retries+circuitBreaker ${fmt('all')}\n`);
    for (const k of Object.keys(paths) as (keyof typeof paths)[]) expect(median(runs[k])).toBeGreaterThan(0);
  }, 60_000);

  it('measures the cost of the checks themselves, in process', () => {
    // What the HTTP path does per request: sync with the table, take a token, claim and settle the backend's breaker.
    const base: RouteDef = { key: 'ns/r', host: '*', pathPrefix: '/', methods: [], backends: [{ functionKey: 'ns/a', weight: 100 }], timeoutMs: 1000 };
    const limited: RouteDef = { ...base, rateLimit: { requestsPerSecond: 1e6, burst: 1e6 } };
    const all: RouteDef = { ...limited, circuitBreaker: { consecutiveErrors: 5, openMs: 1000 }, retries: { attempts: 2, retryOn: ['5xx'] } };
    const nsPerRequest = (r: RouteDef): number => {
      const policies = new RoutePolicies();
      const table = new RouteTable([r]);
      const n = 500_000;
      let admitted = 0;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const now = Date.now();
        policies.sync(table);
        if (policies.admit(r, now).ok) admitted++;
        const b = policies.breaker(r, 'ns/a', now);
        const ticket = b?.begin(now);
        if (ticket !== undefined) b?.record(ticket, false, now);
      }
      const ns = ((performance.now() - t0) * 1e6) / n;
      expect(admitted).toBe(n);
      return ns;
    };
    for (const r of [base, limited, all]) nsPerRequest(r); // warm up the JIT
    const [none, rate, both] = [base, limited, all].map(nsPerRequest) as [number, number, number];
    process.stderr.write(`route-policies: checks per request in process: no policy ${none.toFixed(0)} ns, rateLimit ${rate.toFixed(0)} ns, rateLimit+circuitBreaker ${both.toFixed(0)} ns\n`);
  });
});
