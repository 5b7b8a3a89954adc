/**
 * Forwarding between node runtimes, in process: node `a` runs nothing and is told (as the operator
 * would, NodeAssignment.remote) that the functions run on node `b`; both are real nodes serving
 * over HTTP with modules pulled from the harness registry. Checks what the cluster-mode test does
 * not reach: the backend the forwarding node chose by weight is the one that runs, and the route's
 * retries and circuit breaker treat a remote backend nobody can reach like a local one that fails,
 * and a route with auth is authenticated on both nodes: a request posing as forwarded gets no pass.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssignedFunction, AssignedRoute } from '../../../api/index.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { startNode, type RunningNode } from '../../../node-runtime/node.ts';
import { harness, uniqueName, waitFor } from '../../harness/index.ts';
import { newKey, publish } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';
import { DrivenAssignments, assignedFunction, assignedRoute } from './node-support.ts';

const HOST = 'apps.example';
const NS = 'edge';

describe('forwarding: node a routes functions that run on node b only', () => {
  const trusted = newKey();
  let work: string;
  let hello: AssignedFunction;
  let echo: AssignedFunction;
  /** Where nobody listens: a node that left. */
  let deadEndpoint: string;
  const nodes: Record<'a' | 'b', { node: RunningNode; source: DrivenAssignments }> = {} as never;

  const route = (name: string, backends: [string, number][], spec: object = {}): AssignedRoute => assignedRoute(NS, name, HOST, backends, { timeoutMs: 3000, ...spec });
  const routes = [
    route('split', [['hello', 50], ['echo', 50]]),
    route('retried', [['far', 100]], { retries: { attempts: 2, retryOn: ['connect-failure'] } }),
    route('broken', [['far', 100]], { circuitBreaker: { consecutiveErrors: 2, openMs: 60_000 } }),
  ];

  let token = '';

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] });
    token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer('https://issuer.test').setAudience('api').setExpirationTime('10m').sign(privateKey);
    routes.push(route('guarded', [['echo', 100]], { auth: { type: 'jwt', jwt: { issuer: 'https://issuer.test', audiences: ['api'], jwks }, claims: [{ claim: 'sub', env: 'AUTH_SUB' }] } }));
    work = await mkdtemp(join(tmpdir(), 'flotilla-forwarding-'));
    const repo = uniqueName('forwarding');
    const registry = harness().registry.host;
    const fn = async (name: string, example: string): Promise<AssignedFunction> => {
      const ref = await publish({ kind: 'registry', registry, repository: `${repo}/${name}` }, new Uint8Array(await readFile(await buildExample(example))), trusted);
      return assignedFunction(NS, name, ref, { limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 2 } });
    };
    hello = await fn('hello', 'hello');
    echo = await fn('echo', 'echo');
    const gone = http.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    deadEndpoint = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    await new Promise((resolve) => gone.close(resolve));
    for (const name of ['a', 'b'] as const) {
      const source = new DrivenAssignments();
      const node = await startNode({ source, logger: pino({ level: 'silent' }), port: 0, cacheDir: join(work, name, 'cache'), trust: { keys: [trusted.publicPem], identities: [] }, workers: 1, nodeName: name });
      nodes[name] = { node, source };
    }
    nodes.b.source.set({ node: 'b', functions: [echo, hello], dormant: [], remote: [{ function: `${NS}/far`, endpoints: [deadEndpoint] }], routes, triggers: [] });
    nodes.a.source.set({
      node: 'a',
      functions: [],
      dormant: [],
      remote: [
        { function: `${NS}/echo`, endpoints: [nodes.b.node.adminUrl] },
        { function: `${NS}/far`, endpoints: [deadEndpoint] },
        { function: `${NS}/hello`, endpoints: [nodes.b.node.adminUrl] },
      ],
      routes,
      triggers: [],
    });
    await waitFor(async () => ((await request(nodes.b.node.adminUrl, '/readyz')).status === 200 ? true : undefined), { what: 'node b loaded', timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    for (const n of Object.values(nodes)) await n.node.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('keeps the declared weights: the backend a chose is the one b runs, whichever b would have picked', async () => {
    const digests = { [hello.digest]: 0, [echo.digest]: 0 };
    for (let i = 0; i < 40; i++) {
      const r = await request(nodes.a.node.url, '/split', { host: HOST, body: 'ping' });
      expect(r.status).toBe(200);
      expect(r.headers['x-flotilla-served-by']).toBe('b');
      expect(r.headers['x-flotilla-forwarded-by']).toBe('a');
      digests[String(r.headers['x-flotilla-digest'])]! += 1;
    }
    // 50/50 over 40 requests: both backends are reached (a miss has probability 2 × 2^-40).
    expect(digests[hello.digest]).toBeGreaterThan(0);
    expect(digests[echo.digest]).toBeGreaterThan(0);
    // A request marked as forwarded with a backend named, on the peer (admin) port, runs that backend, every time.
    for (let i = 0; i < 10; i++) {
      const r = await request(nodes.b.node.adminUrl, '/split', { host: HOST, body: 'ping', headers: { 'x-flotilla-forwarded-by': 'a', 'x-flotilla-backend': `${NS}/echo` } });
      expect(r.headers['x-flotilla-digest']).toBe(echo.digest);
    }
  });

  it('retries a remote backend nobody can reach as a connect-failure, then says ForwardFailed naming the endpoint', async () => {
    const r = await request(nodes.a.node.url, '/retried', { host: HOST, body: 'ping' });
    expect(r.status).toBe(502);
    expect(r.headers['x-flotilla-error']).toBe('ForwardFailed');
    expect(r.headers['x-flotilla-attempts']).toBe('3');
    expect(r.body).toContain(deadEndpoint);
  });

  it('opens the circuit of an unreachable remote backend after its consecutive failures', async () => {
    expect((await request(nodes.a.node.url, '/broken', { host: HOST, body: 'ping' })).status).toBe(502);
    expect((await request(nodes.a.node.url, '/broken', { host: HOST, body: 'ping' })).status).toBe(502);
    const open = await request(nodes.a.node.url, '/broken', { host: HOST, body: 'ping' });
    expect(open.status).toBe(503);
    expect(open.headers['x-flotilla-error']).toBe('CircuitOpen');
  });

  it('ignores forwarding marks a client sends to the tenant port: a forwards as usual, b picks by weight', async () => {
    const marks = { 'x-flotilla-forwarded-by': 'b', 'x-flotilla-backend': `${NS}/echo` };
    const viaA = await request(nodes.a.node.url, '/retried', { host: HOST, body: 'ping', headers: marks });
    // Not NotPlacedHere: a treated it as a client's request and forwarded it (to the dead endpoint) with its retries.
    expect(viaA.headers['x-flotilla-error']).toBe('ForwardFailed');
    expect(viaA.headers['x-flotilla-attempts']).toBe('3');
    const served = new Set<string>();
    for (let i = 0; i < 40; i++) served.add(String((await request(nodes.b.node.url, '/split', { host: HOST, body: 'ping', headers: marks })).headers['x-flotilla-digest']));
    expect(served).toEqual(new Set([hello.digest, echo.digest]));
  });

  it('authenticates a route with auth on the forwarding node and again on the node that runs it', async () => {
    const ok = await request(nodes.a.node.url, '/guarded', { host: HOST, body: 'ping', headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-flotilla-served-by']).toBe('b');
    expect(ok.body).toContain('auth: AUTH_SUB=alice\n');
    const refused = await request(nodes.a.node.url, '/guarded', { host: HOST, body: 'ping' });
    expect(refused.status).toBe(401);
    expect(refused.headers['x-flotilla-served-by']).toBeUndefined();
    // Posing as node a on b's peer port does not skip b's own check.
    const spoofed = await request(nodes.b.node.adminUrl, '/guarded', { host: HOST, body: 'ping', headers: { 'x-flotilla-forwarded-by': 'a', 'x-flotilla-backend': `${NS}/echo` } });
    expect(spoofed.status).toBe(401);
    expect(spoofed.headers['www-authenticate']).toBe(`Bearer realm="${HOST}"`);
  });

  it('a node never forwards a request that was forwarded to it: NotPlacedHere, not a second hop', async () => {
    const r = await request(nodes.b.node.adminUrl, '/retried', { host: HOST, body: 'ping', headers: { 'x-flotilla-forwarded-by': 'a' } });
    expect(r.status).toBe(503);
    expect(r.headers['x-flotilla-error']).toBe('NotPlacedHere');
    expect(r.body).toContain(`node b to run ${NS}/far`);
  });
});
