/**
 * Scale from zero and back to zero, as processes: the real `flotilla operator` and two real
 * `flotilla node --cluster` against the harness apiserver and registry. A WasmFunction with
 * minInstances 0 + scaleToZero runs nowhere; the first request to either node is held while the
 * operator places the function on that node and the node loads it, then answered (a cold start);
 * after scaleToZeroAfterSeconds without a request it runs nowhere again. A function that cannot
 * start answers with its reason instead of hanging. Asserted on the state of the world: HTTP
 * answers, object status and Events, the nodes' assignments and Lease reports, and the nodes' disk
 * caches (each node pre-pulls the modules it holds dormant). Latencies (cold first request vs warm)
 * are printed at the end.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSIGNMENT_KEY, ANNOTATIONS, crdFor, KINDS, nodeObjectName } from '../../../api/index.ts';
import type { NodeAssignment, NodeLease, NodeReport } from '../../../api/index.ts';
import { compilePolicy } from '../../../artifacts/index.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { desiredStateFromAssignment } from '../../../node-runtime/cluster/from-assignment.ts';
import { readEntryWasm } from '../../../node-runtime/loader/module-loader.ts';
import { startNode as startNodeRuntime } from '../../../node-runtime/node.ts';
import type { RunningNode } from '../../../node-runtime/node.ts';
import { verifyModule } from '../../../node-runtime/verify/verify.ts';
import { FUNCTION_ROUTE_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { CONFIG_MAP_TYPE, EVENT_TYPE, LEASE_TYPE, resourcePath } from '../../../kube/index.ts';
import type { KubeObject, ResourceType } from '../../../kube/index.ts';
import { createTestNamespace, harness, uniqueName, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';
import { newKey, publish } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';
import { assignedFunction, assignedRoute, metricSample } from '../node-runtime/node-support.ts';
import type { Reply } from '../../../devenv/fixtures/http-client.ts';
import { awaitOutput, run } from './cli-process.ts';
import type { Proc } from './cli-process.ts';
import { installCrds } from '../../../devenv/fixtures/crds.ts';
import { condition } from './fixture.ts';
import type { WithStatus } from './fixture.ts';
import { client } from './support.ts';

const LEASE_SECONDS = 3;
const HOST = 'apps.example';
/** The idle window under test: the smallest the API takes. */
const IDLE_SECONDS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

describe('scale from zero: flotilla operator + two flotilla node --cluster processes', () => {
  const api = client();
  let ns: TestNamespace;
  let system: TestNamespace;
  let work: string;
  let operator: Proc;
  const nodes = new Map<string, { proc: Proc; url: string; adminUrl: string }>();
  let ref = '';
  /** A module whose memory starts above one page (hello's does not). */
  let echoRef = '';
  const trusted = newKey();
  const latencies: Record<string, number> = {};

  const path = (type: ResourceType, name?: string) => resourcePath(type, { namespace: ns.name, ...(name ? { name } : {}) });
  const create = (type: ResourceType, body: object) => api.request({ method: 'POST', path: path(type), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: type.kind, ...body } });
  const get = <T extends KubeObject = WithStatus>(type: ResourceType, name: string) => api.request<T>({ method: 'GET', path: path(type, name) });
  const timed = async (node: string, route: string): Promise<Reply & { ms: number }> => {
    const started = performance.now();
    const r = await request(nodes.get(node)!.url, route, { body: 'ping', host: HOST });
    return { ...r, ms: performance.now() - started };
  };
  const assignment = async (node: string) => {
    const cm = await get<KubeObject & { data?: Record<string, string> }>(CONFIG_MAP_TYPE, nodeObjectName('edge', node)).catch(() => undefined);
    const text = cm?.data?.[ASSIGNMENT_KEY];
    return text ? (JSON.parse(text) as NodeAssignment) : undefined;
  };
  const report = async (node: string): Promise<NodeReport> => {
    const lease = await api.request<NodeLease>({ method: 'GET', path: resourcePath(LEASE_TYPE, { namespace: ns.name, name: nodeObjectName('edge', node) }) });
    return JSON.parse(lease.metadata.annotations?.[ANNOTATIONS.report] ?? '{}') as NodeReport;
  };
  /** Until `name` runs nowhere and every node holds it dormant. */
  const atZero = (name: string, timeoutMs: number) =>
    waitFor(
      async () => {
        const f = await get(WASM_FUNCTION_TYPE, name);
        if ((f.status?.nodes ?? []).length !== 0 || condition(f, 'Ready')?.reason !== 'ScaledToZero') return undefined;
        for (const n of ['n1', 'n2']) {
          const a = await assignment(n);
          if (!a || a.functions.some((x) => x.name === name) || !a.dormant.some((x) => x.name === name)) return undefined;
        }
        return f;
      },
      { what: `${name} at zero, dormant on both nodes`, timeoutMs, describe: async () => JSON.stringify({ status: (await get(WASM_FUNCTION_TYPE, name)).status, n1: await assignment('n1'), n2: await assignment('n2') }) },
    );

  async function startNode(name: string, labels: string): Promise<void> {
    const proc = run(name, [
      'node', '--cluster', '--runtime', 'edge', '--namespace', ns.name,
      '--trust-namespace', system.name, '--kubeconfig', harness().kube.kubeconfig, '--node-name', name, '--labels', labels,
      '--lease-seconds', String(LEASE_SECONDS), '--port', '0', '--admin-port', '0', '--workers', '1',
      '--cache-dir', join(work, name, 'cache'), '--state-dir', join(work, name, 'state'),
    ]);
    const m = await awaitOutput(proc, /"url":"(http:\/\/127\.0\.0\.1:\d+)","adminUrl":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"Node runtime listening"/);
    nodes.set(name, { proc, url: m[1]!, adminUrl: m[2]! });
  }

  beforeAll(async () => {
    ns = await createTestNamespace('from-zero');
    system = await createTestNamespace('from-zero-system');
    work = await mkdtemp(join(tmpdir(), 'flotilla-from-zero-'));
    await installCrds(api, KINDS.map((k) => crdFor(k)));
    const repo = uniqueName('from-zero');
    const wasm = async (example: string) => new Uint8Array(await readFile(await buildExample(example)));
    ref = await publish({ kind: 'registry', registry: harness().registry.host, repository: `${repo}/hello` }, await wasm('hello'), trusted);
    echoRef = await publish({ kind: 'registry', registry: harness().registry.host, repository: `${repo}/echo` }, await wasm('echo'), trusted);
    await api.request({ method: 'POST', path: resourcePath(CONFIG_MAP_TYPE, { namespace: system.name }), body: { metadata: { name: 'fleet' }, data: { 'policy.json': JSON.stringify({ keys: [trusted.publicPem], identities: [] }) } } });
    await create(WASM_RUNTIME_TYPE, { metadata: { name: 'edge' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' } } });
    operator = run('operator', ['operator', '--kubeconfig', harness().kube.kubeconfig, '-n', system.name, '--watch-namespace', ns.name, '--listen', '127.0.0.1:0', '--lease-duration', '3', '--log-level', 'warn']);
    await awaitOutput(operator, /serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
    await Promise.all([startNode('n1', 'zone=a'), startNode('n2', 'zone=b')]);
    await waitFor(async () => ((await get(WASM_RUNTIME_TYPE, 'edge')).status?.readyNodes === 2 ? true : undefined), { what: 'both nodes registered', timeoutMs: 20_000 });
  }, 120_000);

  afterAll(async () => {
    for (const p of [...[...nodes.values()].map((n) => n.proc), operator]) {
      if (!p) continue;
      p.child.kill('SIGTERM');
      await Promise.race([p.exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      p.child.kill('SIGKILL');
    }
    await ns?.delete();
    await system?.delete();
    if (work) await rm(work, { recursive: true, force: true });
    console.log(`scale from zero latencies (ms): ${JSON.stringify(latencies)}`);
  });

  const zeroFn = (memoryPages = 32) => ({
    module: { ref },
    limits: { memoryPages, timeoutMs: 2000, concurrency: 4 },
    scaling: { minInstances: 0, maxInstances: 2, scaleToZero: true, scaleToZeroAfterSeconds: IDLE_SECONDS },
    runtimeClass: 'edge',
  });
  const route = (name: string) => ({ metadata: { name }, spec: { host: HOST, pathPrefix: `/${name}`, backends: [{ functionRef: name, weight: 100 }] } });

  it('a scale-to-zero function is verified but loaded nowhere: dormant on both nodes, Ready ScaledToZero', async () => {
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'cold' }, spec: zeroFn() });
    await create(FUNCTION_ROUTE_TYPE, route('cold'));
    const f = await atZero('cold', 20_000);
    expect(condition(f, 'SignatureVerified')?.status).toBe('True');
    expect(condition(f, 'Ready')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
    expect(condition(f, 'Ready')?.message).toContain('the next request on any node of WasmRuntime edge starts it');
    for (const n of ['n1', 'n2']) {
      expect((await assignment(n))?.routes.map((r) => r.name)).toEqual(['cold']);
      expect(Object.keys(await report(n))).toEqual([]);
    }
    // Pre-pulled: before any request, each node's disk cache holds the module, complete and verifying against the policy.
    const digest = ref.slice(ref.indexOf('@') + 1);
    const policy = compilePolicy({ keys: [trusted.publicPem], identities: [] });
    for (const n of ['n1', 'n2']) {
      const entry = join(work, n, 'cache', digest.replace(':', '-'));
      await waitFor(() => stat(entry).then(() => true, () => undefined), { what: `${n} to pre-pull ${digest}`, timeoutMs: 10_000, describe: () => Promise.resolve(nodes.get(n)!.proc.output.slice(-2000)) });
      await expect(verifyModule(entry, digest, policy)).resolves.toBeDefined();
      expect((await readEntryWasm(entry, digest)).byteLength).toBeGreaterThan(0);
      // The entry lands before the node logs the pre-pull (it is verified and admitted first): wait for the line.
      await awaitOutput(nodes.get(n)!.proc, /"msg":"Pre-pulled dormant module"/, 10_000);
    }
  });

  it('the first request to a node is held, the function placed there and loaded, and answered 200; then warm', async () => {
    const sentAt = Date.now();
    const first = await timed('n1', '/cold');
    expect(first.status, first.body).toBe(200);
    expect(first.body).toContain('Hello from Flotilla');
    expect(Number(first.headers['x-flotilla-cold-start-ms'])).toBeGreaterThan(0);
    latencies['coldFirstRequest.n1'] = Math.round(first.ms);
    latencies['coldHeld.n1'] = Number(first.headers['x-flotilla-cold-start-ms']);
    // Where the time went: the node's log says when the operator's assignment reached it (same machine clock).
    const applied = [...nodes.get('n1')!.proc.output.matchAll(/\{[^\n]*"msg":"Applied assignment"[^\n]*\}/g)].map((m) => JSON.parse(m[0]) as { time: number; functions: number }).find((l) => l.time >= sentAt && l.functions > 0);
    if (applied) latencies['coldAssignedAfter.n1'] = applied.time - sentAt;
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await timed('n1', '/cold');
      expect(r.status).toBe(200);
      expect(r.headers['x-flotilla-cold-start-ms']).toBeUndefined();
      warm.push(r.ms);
    }
    latencies['warmMedian.n1'] = Math.round(median(warm) * 100) / 100;
    expect(first.ms).toBeGreaterThan(median(warm));
    // The node's metrics: the module came from a pre-pull, one request was held and served (the warm ones were not held), for as long as its header says, and none is held now.
    const n1 = nodes.get('n1')!.adminUrl;
    const fn = `${ns.name}/cold`;
    expect(await metricSample(n1, 'flotilla_prepulls_total', { outcome: 'pulled' })).toBeGreaterThanOrEqual(1);
    expect(await metricSample(n1, 'flotilla_held_requests_total', { function: fn, outcome: 'served' })).toBe(1);
    expect(await metricSample(n1, 'flotilla_cold_start_wait_seconds_count', { function: fn })).toBe(1);
    const waited = (await metricSample(n1, 'flotilla_cold_start_wait_seconds_sum', { function: fn }))! * 1000;
    expect(Math.abs(waited - latencies['coldHeld.n1'])).toBeLessThan(20);
    expect(await metricSample(n1, 'flotilla_held_requests', { function: fn })).toBeUndefined();
    // Placed on the node that asked, and the operator says so.
    const f = await waitFor(async () => {
      const fn = await get(WASM_FUNCTION_TYPE, 'cold');
      return condition(fn, 'Ready')?.reason === 'AllInstancesReady' ? fn : undefined;
    }, { what: 'cold Ready AllInstancesReady', timeoutMs: 10_000 });
    expect(f.status?.nodes).toEqual(['n1']);
    const events = await api.request<{ items: { reason: string; note: string; regarding: { name: string } }[] }>({ method: 'GET', path: resourcePath(EVENT_TYPE, { namespace: ns.name }) });
    expect(events.items.filter((e) => e.regarding.name === 'cold' && e.reason === 'ScaledFromZero').map((e) => e.note)).toContain('placed on n1: woken by a request on n1');
  });

  it('the other node, not running it, also answers its first request by waking an instance of its own', async () => {
    const first = await timed('n2', '/cold');
    expect(first.status, first.body).toBe(200);
    latencies['coldFirstRequest.n2'] = Math.round(first.ms);
    const warm = await timed('n2', '/cold');
    expect(warm.status).toBe(200);
    latencies['warm.n2'] = Math.round(warm.ms * 100) / 100;
    expect([...((await get(WASM_FUNCTION_TYPE, 'cold')).status?.nodes ?? [])].sort()).toEqual(['n1', 'n2']);
  });

  it(`back to zero after ${IDLE_SECONDS} s without a request, and woken again by the next one`, async () => {
    const lastRequest = Date.now();
    const f = await atZero('cold', (IDLE_SECONDS + 15) * 1000);
    latencies['lastRequestToZero'] = Date.now() - lastRequest;
    expect(latencies['lastRequestToZero']).toBeGreaterThanOrEqual(IDLE_SECONDS * 1000);
    expect(condition(f, 'Ready')?.message).toMatch(new RegExp(`^scaled to zero: idle for ${IDLE_SECONDS} s on `));
    // Loaded nowhere: the nodes report nothing about it.
    for (const n of ['n1', 'n2']) expect(await report(n)).not.toHaveProperty(`${ns.name}/cold`);
    const again = await timed('n2', '/cold');
    expect(again.status, again.body).toBe(200);
    latencies['coldAgain.n2'] = Math.round(again.ms);
  });

  it('a function that cannot start answers the held request with its reason at once, not a hang', async () => {
    // Signed and verified, but its memory starts above the 1-page limit: only the node finds out, when it loads it.
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'tiny' }, spec: { ...zeroFn(1), module: { ref: echoRef } } });
    await create(FUNCTION_ROUTE_TYPE, route('tiny'));
    await atZero('tiny', 20_000);
    const r = await timed('n1', '/tiny');
    latencies['failedColdStart'] = Math.round(r.ms);
    expect(r.status).toBe(502);
    expect(r.headers['x-flotilla-error']).toBe('MemoryLimitBelowInitial');
    expect(JSON.parse(r.body)).toMatchObject({ error: 'MemoryLimitBelowInitial', message: expect.stringContaining(`cold start of ${ns.name}/tiny on node n1 failed:`) as unknown });
    expect(r.ms).toBeLessThan(15_000);
    expect(await metricSample(nodes.get('n1')!.adminUrl, 'flotilla_held_requests_total', { function: `${ns.name}/tiny`, outcome: 'failed' })).toBe(1);
  });

  it('a function whose module never verified is routed nowhere: an immediate 404, nothing held', async () => {
    const unsigned = ref.replace(/@sha256:[a-f0-9]{64}$/, `@sha256:${'0'.repeat(64)}`);
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'missing' }, spec: { ...zeroFn(), module: { ref: unsigned } } });
    await create(FUNCTION_ROUTE_TYPE, route('missing'));
    await waitFor(async () => (condition(await get(WASM_FUNCTION_TYPE, 'missing'), 'Ready')?.status === 'False' ? true : undefined), { what: 'missing Ready=False', timeoutMs: 20_000 });
    const r = await timed('n2', '/missing');
    expect(r.status).toBe(404);
    expect(r.ms).toBeLessThan(1000);
    expect(Object.keys(await report('n2'))).not.toContain(`${ns.name}/missing`);
  });
});

/**
 * The node's side alone, for what the processes above cannot show in reasonable time: an operator
 * that never places the function (a 30 s wait as processes). A real node runtime in-process with a
 * 1 s cold-start bound; its desired state is an assignment (through the node's own mapping) that
 * keeps the function dormant forever, which is exactly what an operator that is down looks like.
 */
describe('scale from zero: a held request nobody serves', () => {
  let node: RunningNode;
  let work: string;
  const reports: NodeReport[] = [];
  const KEY = 'edge/cold';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'flotilla-from-zero-node-'));
    const digest = `sha256:${'a'.repeat(64)}`;
    const dormant = assignedFunction('edge', 'cold', `${harness().registry.host}/never/placed@${digest}`, { limits: { memoryPages: 16, timeoutMs: 1000, concurrency: 1 }, scaling: { minInstances: 0, scaleToZero: true } });
    const route = assignedRoute('edge', 'cold', HOST, [['cold', 100]], { timeoutMs: 1000 });
    const { state, issues } = desiredStateFromAssignment({ node: 'solo', functions: [], dormant: [dormant], remote: [], routes: [route], triggers: [] });
    expect(issues).toEqual([]);
    node = await startNodeRuntime({
      source: { start: (apply) => Promise.resolve(apply(state)), close: () => Promise.resolve() },
      logger: pino({ level: 'silent' }),
      port: 0,
      cacheDir: join(work, 'cache'),
      trust: { keys: [], identities: [] },
      workers: 1,
      nodeName: 'solo',
      coldStartTimeoutMs: 1000,
      maxHeldRequests: 1,
      onReport: (r) => reports.push(r),
    });
  });

  afterAll(async () => {
    await node?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is reported as demand while held, then answered 504 naming the function and the missing step; past the limit 503', async () => {
    const started = performance.now();
    const held = request(node.url, '/cold', { body: 'x', host: HOST });
    await waitFor(() => Promise.resolve(node.report()[KEY]?.state === 'Wanted' ? true : undefined), { what: 'the node to report demand', timeoutMs: 900 });
    expect(node.report()[KEY]).toMatchObject({ state: 'Wanted', waiting: 1, digest: `sha256:${'a'.repeat(64)}` });
    expect(reports.some((r) => r[KEY]?.state === 'Wanted')).toBe(true);
    const over = await request(node.url, '/cold', { body: 'x', host: HOST });
    expect(over.status).toBe(503);
    expect(over.headers['retry-after']).toBe('1');
    const r = await held;
    expect(r.status).toBe(504);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'Timeout', message: expect.stringMatching(/^cold start of edge\/cold on node solo: not ready within 1 s: the operator has not placed it on this node/) as unknown });
    expect(node.report()).not.toHaveProperty(KEY);
    // Counted as it happened: one held until the bound (its whole second observed), one refused without being held.
    expect(await metricSample(node.adminUrl, 'flotilla_held_requests_total', { function: KEY, outcome: 'timeout' })).toBe(1);
    expect(await metricSample(node.adminUrl, 'flotilla_held_requests_total', { function: KEY, outcome: 'rejected' })).toBe(1);
    expect(await metricSample(node.adminUrl, 'flotilla_held_requests_total', { function: KEY, outcome: 'served' })).toBeUndefined();
    expect(await metricSample(node.adminUrl, 'flotilla_cold_start_wait_seconds_count', { function: KEY })).toBe(1);
    expect(await metricSample(node.adminUrl, 'flotilla_cold_start_wait_seconds_sum', { function: KEY })).toBeGreaterThanOrEqual(0.99);
    // Its module is nowhere to be pulled: the pre-pull failed (and is retried).
    expect(await metricSample(node.adminUrl, 'flotilla_prepulls_total', { outcome: 'failed' })).toBeGreaterThanOrEqual(1);
  });

  it('a client that gives up frees its place at once: no demand left behind', async () => {
    const req = http.request(new URL('/cold', node.url), { method: 'GET', headers: { host: HOST } });
    req.on('error', () => undefined);
    req.end();
    await waitFor(() => Promise.resolve(node.report()[KEY]?.state === 'Wanted' ? true : undefined), { what: 'the node to report demand', timeoutMs: 900 });
    const gaveUp = performance.now();
    req.destroy();
    await waitFor(() => Promise.resolve(node.report()[KEY] === undefined ? true : undefined), { what: 'the demand to go', timeoutMs: 900 });
    expect(performance.now() - gaveUp).toBeLessThan(500);
    expect(await metricSample(node.adminUrl, 'flotilla_held_requests_total', { function: KEY, outcome: 'abandoned' })).toBe(1);
    expect(await metricSample(node.adminUrl, 'flotilla_held_requests', { function: KEY })).toBeUndefined();
  });
});
