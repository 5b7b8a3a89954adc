/**
 * Cluster mode end to end, as processes: the real `flotilla operator` and two real
 * `flotilla node --cluster` against the harness apiserver and registry. Modules are examples built
 * from source, pushed and signed with a fresh key that the trust policy ConfigMap trusts. As in a
 * rendered cluster, the operator and its trust policy live in a namespace of their own and the pool
 * (WasmRuntime, functions, node Leases and assignments) in another; nodes read the policy there.
 * Asserted on the state of the world only: HTTP answers from each node, object status, what is left
 * in the apiserver. Prints the latencies measured (ms): a killed node's function serving elsewhere,
 * and a request served by the node running it directly vs forwarded by the other node (p50, p90).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSIGNMENT_KEY, crdFor, KINDS, NODE_PEER_CLUSTER_ROLE, nodeObjectName, nodeRuntimeName, PEER_AUDIENCE } from '../../../api/index.ts';
import type { NodeAssignment } from '../../../api/index.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { FUNCTION_ROUTE_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { CONFIG_MAP_TYPE, resourcePath } from '../../../kube/index.ts';
import type { KubeObject, ResourceType } from '../../../kube/index.ts';
import { createTestNamespace, harness, uniqueName, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';
import { newKey, publish } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';
import { awaitOutput, run } from './cli-process.ts';
import type { Proc } from './cli-process.ts';
import { installCrds } from '../../../devenv/fixtures/crds.ts';
import { condition } from './fixture.ts';
import type { WithStatus } from './fixture.ts';
import { client } from './support.ts';

/** Node Lease duration: a killed node's functions must move within it (plus one reconcile). */
const LEASE_SECONDS = 3;
/** The routes' host (the API takes a DNS name, not a wildcard for any host). */
const HOST = 'apps.example';

describe('cluster mode: flotilla operator + two flotilla node --cluster processes', () => {
  const api = client();
  let ns: TestNamespace;
  let system: TestNamespace;
  let work: string;
  let operator: Proc;
  const nodes = new Map<string, { proc: Proc; url: string; adminUrl: string }>();
  const refs = { v1: '', v2: '', unsigned: '' };
  const latencies: Record<string, number> = {};

  const path = (type: ResourceType, name?: string) => resourcePath(type, { namespace: ns.name, ...(name ? { name } : {}) });
  const create = (type: ResourceType, body: object) => api.request({ method: 'POST', path: path(type), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: type.kind, ...body } });
  const get = <T extends KubeObject = WithStatus>(type: ResourceType, name: string) => api.request<T>({ method: 'GET', path: path(type, name) });
  const call = (node: string, route: string, body = 'ping') => request(nodes.get(node)!.url, route, { body, host: HOST });
  const assignment = async (node: string) => {
    const cm = await get<KubeObject & { data?: Record<string, string> }>(CONFIG_MAP_TYPE, nodeObjectName('edge', node)).catch(() => undefined);
    const text = cm?.data?.[ASSIGNMENT_KEY];
    return text ? (JSON.parse(text) as NodeAssignment) : undefined;
  };
  /** Until `node` answers `route` with `want` (a body fragment, or a status). */
  const answers = (node: string, route: string, want: string | number, timeoutMs = 30_000) =>
    waitFor(
      async () => {
        const r = await call(node, route).catch(() => undefined);
        if (!r) return undefined;
        return (typeof want === 'number' ? r.status === want : r.status === 200 && r.body.includes(want)) ? r : undefined;
      },
      { what: `${node} ${route} to answer ${JSON.stringify(want)}`, timeoutMs, intervalMs: 25, describe: async () => JSON.stringify(await call(node, route).catch((e: unknown) => String(e))) },
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
    ns = await createTestNamespace('cluster-mode');
    system = await createTestNamespace('cluster-mode-system');
    work = await mkdtemp(join(tmpdir(), 'flotilla-cluster-mode-'));
    await installCrds(api, KINDS.map((k) => crdFor(k)));
    const trusted = newKey();
    const registry = harness().registry.host;
    const repo = uniqueName('cluster-mode');
    const wasm = async (example: string) => new Uint8Array(await readFile(await buildExample(example)));
    refs.v1 = await publish({ kind: 'registry', registry, repository: `${repo}/hello` }, await wasm('hello'), trusted);
    refs.v2 = await publish({ kind: 'registry', registry, repository: `${repo}/echo` }, await wasm('echo'), trusted);
    refs.unsigned = await publish({ kind: 'registry', registry, repository: `${repo}/unsigned` }, await wasm('echo'), null);
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
    console.log(`cluster mode latencies (ms): ${JSON.stringify(latencies)}`);
  });

  const fn = (ref: string, minInstances: number) => ({ module: { ref }, limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 4 }, scaling: { minInstances, maxInstances: 2 }, runtimeClass: 'edge' });
  const route = (name: string, fnName: string) => ({ metadata: { name }, spec: { host: HOST, pathPrefix: `/${fnName}`, backends: [{ functionRef: fnName, weight: 100 }] } });

  it('create: a WasmFunction and its FunctionRoute are served by both nodes, and the function reports Ready', async () => {
    const started = Date.now();
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'hello' }, spec: fn(refs.v1, 2) });
    await create(FUNCTION_ROUTE_TYPE, route('hello', 'hello'));
    await Promise.all(['n1', 'n2'].map(async (n) => {
      await answers(n, '/hello', 'Hello from Flotilla');
      latencies[`createToServing.${n}`] = Date.now() - started;
    }));
    await waitFor(async () => (condition(await get(WASM_FUNCTION_TYPE, 'hello'), 'Ready')?.status === 'True' ? true : undefined), { what: 'hello Ready=True', timeoutMs: 15_000 });
    latencies['createToReady'] = Date.now() - started;
    const status = (await get(WASM_FUNCTION_TYPE, 'hello')).status;
    expect([...(status?.nodes ?? [])].sort()).toEqual(['n1', 'n2']);
    expect(status?.readyInstances).toBe(2);
    // Each node verified the module itself, against the policy it read from the cluster.
    for (const n of ['n1', 'n2']) {
      const metrics = (await request(nodes.get(n)!.adminUrl, '/metrics')).body;
      expect(metrics).toMatch(/^flotilla_signature_verifications_total\{result="Verified"\} [1-9]/m);
    }
  });

  it('update: a new signed digest rolls onto both nodes without a failed request', async () => {
    let stop = false;
    const failures: string[] = [];
    let requests = 0;
    const loop = async (node: string) => {
      while (!stop) {
        const r = await call(node, '/hello', 'ping').catch((err: unknown) => ({ status: 0, body: String(err) }));
        requests++;
        if (r.status !== 200 || !(r.body.includes('Hello from Flotilla') || r.body.includes('ping'))) failures.push(`${node}: ${r.status} ${r.body.slice(0, 200)}`);
      }
    };
    const loops = [loop('n1'), loop('n2')];
    try {
      const started = Date.now();
      await api.request({ method: 'PATCH', path: path(WASM_FUNCTION_TYPE, 'hello'), body: { spec: { module: { ref: refs.v2 } } }, contentType: 'application/merge-patch+json' });
      await Promise.all(['n1', 'n2'].map(async (n) => {
        await answers(n, '/hello', 'ping');
        latencies[`updateToServing.${n}`] = Date.now() - started;
      }));
      // Keep the load on until the operator has seen both nodes Loaded at the new digest.
      await waitFor(async () => ((await get(WASM_FUNCTION_TYPE, 'hello')).status?.readyInstances === 2 ? true : undefined), { what: 'both instances Loaded at the new digest', timeoutMs: 15_000 });
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    latencies['requestsDuringRoll'] = requests;
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(10);
    const digest = refs.v2.split('@')[1];
    expect((await get(WASM_FUNCTION_TYPE, 'hello')).status?.resolvedDigest).toBe(digest);
  });

  it('a roll to an unsigned digest is blocked: the verified module keeps serving on both nodes', async () => {
    const served = refs.v2.split('@')[1]!;
    const unsigned = refs.unsigned.split('@')[1]!;
    await api.request({ method: 'PATCH', path: path(WASM_FUNCTION_TYPE, 'hello'), body: { spec: { module: { ref: refs.unsigned } } }, contentType: 'application/merge-patch+json' });
    const fnNow = await waitFor(async () => {
      const f = await get(WASM_FUNCTION_TYPE, 'hello');
      const c = condition(f, 'SignatureVerified');
      return c?.status === 'False' && c.reason === 'NoSignature' && condition(f, 'Progressing')?.reason === 'RolloutBlocked' ? f : undefined;
    }, { what: 'hello SignatureVerified=False and the rollout blocked', timeoutMs: 15_000 });
    expect(fnNow.status?.resolvedDigest).toBe(served);
    expect(condition(fnNow, 'Ready')).toMatchObject({ status: 'False', reason: 'NoSignature' });
    expect(condition(fnNow, 'Ready')?.message).toContain(`${served} (verified earlier) keeps serving`);
    // Both nodes keep the verified digest assigned and keep answering; the unsigned one is never handed out.
    for (const n of ['n1', 'n2']) {
      expect((await assignment(n))?.functions.find((f) => f.name === 'hello')).toMatchObject({ ref: refs.v2, digest: served });
      await answers(n, '/hello', 'ping');
      expect(JSON.stringify(await assignment(n))).not.toContain(unsigned);
    }
    // Back to the signed ref: Ready again.
    await api.request({ method: 'PATCH', path: path(WASM_FUNCTION_TYPE, 'hello'), body: { spec: { module: { ref: refs.v2 } } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (condition(await get(WASM_FUNCTION_TYPE, 'hello'), 'Ready')?.status === 'True' ? true : undefined), { what: 'hello Ready=True again', timeoutMs: 15_000 });
  });

  it('scale: one instance runs on one node only; the other answers through it (forwarding), never bouncing a forwarded request', async () => {
    await api.request({ method: 'PATCH', path: `${path(WASM_FUNCTION_TYPE, 'hello')}/scale`, body: { spec: { replicas: 1 } }, contentType: 'application/merge-patch+json' });
    const placed = await waitFor(async () => {
      const nodesNow = (await get(WASM_FUNCTION_TYPE, 'hello')).status?.nodes ?? [];
      return nodesNow.length === 1 ? nodesNow[0] : undefined;
    }, { what: 'hello on one node', timeoutMs: 15_000 });
    const other = placed === 'n1' ? 'n2' : 'n1';
    // The other node is told where hello runs: the placed node's published endpoint, its admin (peer) port.
    await waitFor(async () => {
      const a = await assignment(other);
      return a && a.functions.every((f) => f.name !== 'hello') && a.remote.some((r) => r.function === `${ns.name}/hello` && r.endpoints.includes(nodes.get(placed)!.adminUrl)) ? a : undefined;
    }, { what: `${other}'s assignment to name hello remote at ${placed}`, timeoutMs: 15_000, describe: async () => JSON.stringify(await assignment(other)) });
    const digest = refs.v2.split('@')[1];
    const forwarded = await answers(other, '/hello', 'ping');
    expect(forwarded.headers['x-flotilla-served-by']).toBe(placed);
    expect(forwarded.headers['x-flotilla-forwarded-by']).toBe(other);
    expect(forwarded.headers['x-flotilla-digest']).toBe(digest);
    const direct = await call(placed, '/hello');
    expect(direct.status).toBe(200);
    expect(direct.headers['x-flotilla-served-by']).toBe(placed);
    expect(direct.headers['x-flotilla-forwarded-by']).toBeUndefined();

    // Node identity: the forward above carried a flotilla-peer token of the pool's ServiceAccount (the operator rendered it,
    // and bound it to TokenReview); marks without one, or with a token of the API's audience, are refused on the peer port.
    const sa = nodeRuntimeName('edge');
    const binding = await api.request<{ roleRef: { name: string }; subjects: { name: string; namespace: string }[] }>({ method: 'GET', path: `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${NODE_PEER_CLUSTER_ROLE}-${ns.name}-${sa}` });
    expect(binding.roleRef.name).toBe(NODE_PEER_CLUSTER_ROLE);
    expect(binding.subjects).toEqual([expect.objectContaining({ name: sa, namespace: ns.name })]);
    const mint = (audiences?: string[]) =>
      api.request<{ status: { token: string } }>({ method: 'POST', path: `/api/v1/namespaces/${ns.name}/serviceaccounts/${sa}/token`, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { ...(audiences ? { audiences } : {}), expirationSeconds: 600 } }, contentType: 'application/json' }).then((r) => r.status.token);
    for (const [credential, reason] of [[undefined, 'MissingCredential'], [await mint(), 'WrongAudience']] as const) {
      const spoofed = await request(nodes.get(other)!.adminUrl, '/hello', { body: 'ping', host: HOST, headers: { 'x-flotilla-forwarded-by': placed, ...(credential ? { 'x-flotilla-peer-auth': credential } : {}) } });
      expect(spoofed.status, reason).toBe(401);
      expect(spoofed.body, reason).toContain(reason);
    }
    const peerToken = await mint([PEER_AUDIENCE]);
    // Loop guard: a request already forwarded is never forwarded again; the node that does not run it says so.
    const looped = await request(nodes.get(other)!.adminUrl, '/hello', { body: 'ping', host: HOST, headers: { 'x-flotilla-forwarded-by': placed, 'x-flotilla-peer-auth': peerToken } });
    expect(looped.status).toBe(503);
    expect(looped.headers['x-flotilla-error']).toBe('NotPlacedHere');
    const refusal = JSON.parse(looped.body) as { error: string; message: string };
    expect(refusal.error).toBe('NotPlacedHere');
    expect(refusal.message).toContain(`node ${other} to run ${ns.name}/hello`);

    // What forwarding costs: the same request served directly and through the other node, one at a time.
    const timed = async (node: string) => {
      const ms: number[] = [];
      for (let i = 0; i < 40; i++) {
        const t = performance.now();
        const r = await call(node, '/hello');
        ms.push(performance.now() - t);
        expect(r.status).toBe(200);
      }
      ms.sort((x, y) => x - y);
      return { p50: Math.round(ms[20]! * 100) / 100, p90: Math.round(ms[36]! * 100) / 100 };
    };
    const local = await timed(placed);
    const viaOther = await timed(other);
    latencies['directP50'] = local.p50;
    latencies['directP90'] = local.p90;
    latencies['forwardedP50'] = viaOther.p50;
    latencies['forwardedP90'] = viaOther.p90;
  });

  it('a killed node: its function moves to the other node within the lease period', async () => {
    const on = (await get(WASM_FUNCTION_TYPE, 'hello')).status?.nodes?.[0];
    const survivor = on === 'n1' ? 'n2' : 'n1';
    const victim = nodes.get(on!)!;
    const killedAt = Date.now();
    victim.proc.child.kill('SIGKILL'); // no release: the operator must see the Lease expire
    await victim.proc.exited;
    await answers(survivor, '/hello', 'ping', (LEASE_SECONDS + 10) * 1000);
    latencies['killToServingElsewhere'] = Date.now() - killedAt;
    // Within the lease period plus the time to load on the survivor and one reconcile.
    expect(latencies['killToServingElsewhere']).toBeLessThan(LEASE_SECONDS * 1000 + 5000);
    expect((await get(WASM_FUNCTION_TYPE, 'hello')).status?.nodes).toEqual([survivor]);
  });

  it('an unsigned module: SignatureVerified=False NoSignature, and never served', async () => {
    const survivor = [...nodes.keys()].find((n) => nodes.get(n)!.proc.child.exitCode === null && nodes.get(n)!.proc.child.signalCode === null)!;
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'unsigned' }, spec: fn(refs.unsigned, 1) });
    await create(FUNCTION_ROUTE_TYPE, route('unsigned', 'unsigned'));
    await waitFor(async () => {
      const c = condition(await get(WASM_FUNCTION_TYPE, 'unsigned'), 'SignatureVerified');
      return c?.status === 'False' && c.reason === 'NoSignature' ? c : undefined;
    }, { what: 'unsigned SignatureVerified=False NoSignature', timeoutMs: 15_000 });
    // Give the node the time it took to serve a verified function, then check it serves nothing.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await call(survivor, '/unsigned')).status).toBe(404);
    expect((await assignment(survivor))?.functions.map((f) => f.name)).not.toContain('unsigned');
  });

  it('a module the node cannot load: reported Failed with the reason, retried, and the function Degraded', async () => {
    const survivor = [...nodes.keys()].find((n) => nodes.get(n)!.proc.child.exitCode === null && nodes.get(n)!.proc.child.signalCode === null)!;
    // Signed and verified, but its memory starts above the 1-page limit: only the node finds out.
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'tiny' }, spec: { ...fn(refs.v2, 1), limits: { memoryPages: 1, timeoutMs: 2000, concurrency: 4 } } });
    const degraded = await waitFor(async () => {
      const c = condition(await get(WASM_FUNCTION_TYPE, 'tiny'), 'Degraded');
      return c?.status === 'True' ? c : undefined;
    }, { what: 'tiny Degraded=True', timeoutMs: 20_000, describe: async () => JSON.stringify((await get(WASM_FUNCTION_TYPE, 'tiny')).status) });
    expect(degraded.reason).toBe('InstancesFailing');
    expect(degraded.message).toContain(`${survivor}: MemoryLimitBelowInitial`);
    expect(condition(await get(WASM_FUNCTION_TYPE, 'tiny'), 'Ready')?.status).toBe('False');
  });

  it('delete: nothing left on the nodes and no leftover objects', async () => {
    const survivor = [...nodes.keys()].find((n) => nodes.get(n)!.proc.child.exitCode === null && nodes.get(n)!.proc.child.signalCode === null)!;
    for (const [type, name] of [[FUNCTION_ROUTE_TYPE, 'hello'], [WASM_FUNCTION_TYPE, 'hello'], [FUNCTION_ROUTE_TYPE, 'unsigned'], [WASM_FUNCTION_TYPE, 'unsigned'], [WASM_FUNCTION_TYPE, 'tiny']] as const) {
      await api.request({ method: 'DELETE', path: path(type, name) });
    }
    await answers(survivor, '/hello', 404);
    await waitFor(async () => {
      const left = await Promise.all([WASM_FUNCTION_TYPE, FUNCTION_ROUTE_TYPE].map(async (t) => (await api.request<{ items: unknown[] }>({ method: 'GET', path: path(t) })).items.length));
      return left.every((n) => n === 0) ? true : undefined;
    }, { what: 'no WasmFunctions or FunctionRoutes left', timeoutMs: 15_000 });
    await waitFor(async () => {
      const a = await assignment(survivor);
      return a && a.functions.length === 0 && a.routes.length === 0 ? true : undefined;
    }, { what: `${survivor}'s assignment to be empty`, timeoutMs: 15_000 });
  });
});
