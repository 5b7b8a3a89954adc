/**
 * Forwarding between node runtimes, in process: node `a` runs nothing and is told (as the operator
 * would, NodeAssignment.remote) that the functions run on node `b`; both are real nodes serving
 * over HTTP with modules pulled from the harness registry. Checks what the cluster-mode test does
 * not reach: the backend the forwarding node chose by weight is the one that runs, and the route's
 * retries and circuit breaker treat a remote backend nobody can reach like a local one that fails,
 * and a route with auth is authenticated on both nodes: a request posing as forwarded gets no pass.
 * The nodes share a pool key (node identity, peer/pool-key.ts): a request posing as forwarded
 * without a credential that verifies (none, another key's, one for another backend, a stale one)
 * gets 401 PeerUnauthenticated on the peer port, an audit line and a metric, and picks no backend.
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
import { AuditLog, verifyAudit } from '../../../api/index.ts';
import { PEER_AUTH_HEADER, type PeerClaim } from '../../../node-runtime/peer/peer-auth.ts';
import { PoolKeyAuth } from '../../../node-runtime/peer/pool-key.ts';

const POOL_KEY = Buffer.from('forwarding test pool key, 32 bytes or more');

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
  const audit: string[] = [];
  /** Signs a request on b's peer port as node `by` with `key` would (the test holding the pool key, as a peer does). */
  const signed = async (path: string, by: string, backend: string, key: Uint8Array = POOL_KEY, now: () => number = Date.now) => {
    const claim: PeerClaim = { by, backend, method: 'POST', url: path, host: HOST };
    return { 'x-flotilla-forwarded-by': by, ...(backend ? { 'x-flotilla-backend': backend } : {}), [PEER_AUTH_HEADER]: await new PoolKeyAuth(key, now).credential(claim) };
  };

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
      const node = await startNode({
        source,
        logger: pino({ level: 'silent' }),
        port: 0,
        cacheDir: join(work, name, 'cache'),
        trust: { keys: [trusted.publicPem], identities: [] },
        workers: 1,
        nodeName: name,
        peerAuth: new PoolKeyAuth(POOL_KEY),
        ...(name === 'b' ? { audit: new AuditLog('node/b', (line) => audit.push(line)) } : {}),
      });
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
      const r = await request(nodes.b.node.adminUrl, '/split', { host: HOST, body: 'ping', headers: await signed('/split', 'a', `${NS}/echo`) });
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
    const spoofed = await request(nodes.b.node.adminUrl, '/guarded', { host: HOST, body: 'ping', headers: await signed('/guarded', 'a', `${NS}/echo`) });
    expect(spoofed.status).toBe(401);
    expect(spoofed.headers['www-authenticate']).toBe(`Bearer realm="${HOST}"`);
  });

  it('a node never forwards a request that was forwarded to it: NotPlacedHere, not a second hop', async () => {
    const r = await request(nodes.b.node.adminUrl, '/retried', { host: HOST, body: 'ping', headers: await signed('/retried', 'a', '') });
    expect(r.status).toBe(503);
    expect(r.headers['x-flotilla-error']).toBe('NotPlacedHere');
    expect(r.body).toContain(`node b to run ${NS}/far`);
  });

  it('refuses a spoofed peer on the peer port: 401 PeerUnauthenticated, no backend picked, an audit line and a metric per refusal', async () => {
    const other = Buffer.from('a key from another pool, 32 bytes or more');
    const stale = () => Date.now() - 120_000;
    const cases: [string, Record<string, string>][] = [
      ['MissingCredential', { 'x-flotilla-forwarded-by': 'a', 'x-flotilla-backend': `${NS}/echo` }],
      ['MalformedCredential', { 'x-flotilla-forwarded-by': 'a', 'x-flotilla-backend': `${NS}/echo`, [PEER_AUTH_HEADER]: 'Bearer anything' }],
      ['BadSignature', await signed('/split', 'a', `${NS}/echo`, other)],
      // A credential a peer made for another backend, replayed with the backend the sender wants.
      ['BadSignature', { ...(await signed('/split', 'a', `${NS}/hello`)), 'x-flotilla-backend': `${NS}/echo` }],
      ['ExpiredCredential', await signed('/split', 'a', `${NS}/echo`, POOL_KEY, stale)],
    ];
    for (const [reason, headers] of cases) {
      const r = await request(nodes.b.node.adminUrl, '/split', { host: HOST, body: 'ping', headers });
      expect(r.status, reason).toBe(401);
      expect(r.headers['x-flotilla-error'], reason).toBe('PeerUnauthenticated');
      expect(r.body, reason).toContain(reason);
      // Nothing ran: no function answered.
      expect(r.headers['x-flotilla-digest'], reason).toBeUndefined();
      expect(r.headers['x-flotilla-served-by'], reason).toBeUndefined();
    }
    const metrics = (await request(nodes.b.node.adminUrl, '/metrics')).body;
    for (const reason of ['MissingCredential', 'MalformedCredential', 'ExpiredCredential']) expect(metrics).toContain(`flotilla_peer_auth_total{result="${reason}"} 1`);
    expect(metrics).toContain('flotilla_peer_auth_total{result="BadSignature"} 2');
    expect(metrics).toMatch(/flotilla_peer_auth_total\{result="ok"\} [1-9]/);
    const refusals = audit.map((l) => JSON.parse(l) as { action: string; details: { reason?: string; forwardedBy?: string } }).filter((e) => e.action === 'PeerUnauthenticated');
    expect(refusals.map((e) => e.details.reason)).toEqual(cases.map(([reason]) => reason));
    expect(refusals.every((e) => e.details.forwardedBy === 'a')).toBe(true);
    expect([...verifyAudit(audit.join('\n') + '\n').chains.values()][0]!.lines).toBeGreaterThan(cases.length);
  });

  it('a node without peer auth serves nothing forwarded to it, however it is marked (deny by default)', async () => {
    const open = await startNode({ source: new DrivenAssignments(), logger: pino({ level: 'silent' }), port: 0, cacheDir: join(work, 'open', 'cache'), trust: { keys: [], identities: [] }, workers: 1, nodeName: 'open' });
    try {
      const r = await request(open.adminUrl, '/split', { host: HOST, body: 'ping', headers: await signed('/split', 'a', `${NS}/echo`) });
      expect(r.status).toBe(401);
      expect(r.body).toContain('NotConfigured');
    } finally {
      await open.close();
    }
  });
});
