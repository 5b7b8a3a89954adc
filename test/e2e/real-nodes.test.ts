/**
 * The platform on real nodes: two kubelet + containerd nodes on the harness apiserver; the node
 * runtime image built in this run (devenv/images) pushed to the loopback registry; the operator
 * (a process) pinned to that image under the name clusters/images.json uses
 * (registry.flotilla.local:5000/flotilla/node-runtime@sha256:...), which each node's containerd
 * resolves through a mirror to the loopback registry, as a site's pull-through mirror would. The
 * operator renders the pool's DaemonSet (service.type HostNetwork: each pod on its node's address)
 * and the pods start from that image, verify a signed module and serve it at each node's address,
 * which are the endpoints of the pool's Service.
 * A killed pod is recreated by the DaemonSet and serves again. Timings go to stderr.
 *
 * The node runtime pods reach the apiserver at the `kubernetes` Service's ClusterIP, as in any
 * cluster, through the harness's one-rule stand-in for kube-proxy (devenv/servers/kubernetes-service.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdFor, KINDS, nodeRuntimeName, RUNTIME_LABEL } from '../../api/index.ts';
import { request } from '../../devenv/fixtures/http-client.ts';
import { installCrds } from '../../devenv/fixtures/crds.ts';
import { newKey, publish } from '../../devenv/fixtures/modules.ts';
import type { KubeNodes } from '../../devenv/servers/kube-node.ts';
import { freePort } from '../../devenv/servers/process.ts';
import { buildExample } from '../../examples/functions/build.ts';
import { createKubeClient, CONFIG_MAP_TYPE, resourcePath } from '../../kube/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { FUNCTION_ROUTE_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../operator/kinds.ts';
import { awaitOutput, run } from '../integration/operator/cli-process.ts';
import type { Proc } from '../integration/operator/cli-process.ts';
import { createTestNamespace, harness, kubeConfig, logTail, uniqueName, waitFor } from '../harness/index.ts';
import type { TestNamespace } from '../harness/index.ts';
import { PINNED_REGISTRY, VERSION, buildAndPushImages, preparePoolDirs, startReadyNodes } from './real-nodes-fixture.ts';

const HOST = 'apps.example';

interface Condition {
  readonly type: string;
  readonly status: string;
}
interface PodObject {
  readonly metadata: { readonly name: string; readonly uid: string; readonly creationTimestamp?: string };
  readonly spec?: { readonly nodeName?: string; readonly containers?: readonly { readonly image?: string }[] };
  readonly status?: { readonly phase?: string; readonly podIP?: string; readonly conditions?: readonly Condition[]; readonly containerStatuses?: readonly { readonly imageID?: string }[] };
}
interface EndpointSliceList {
  readonly items: readonly { readonly endpoints: readonly { readonly addresses: readonly string[]; readonly conditions?: { readonly ready?: boolean } }[]; readonly ports: readonly { readonly port: number }[] }[];
}

function say(line: string): void {
  process.stderr.write(`real-nodes: ${line}\n`);
}

describe('the node runtime as DaemonSet pods on real kubelet nodes', () => {
  let client: KubeClient;
  let cluster: KubeNodes;
  let nodes: { cluster: KubeNodes; stop: () => Promise<void> } | undefined;
  let ns: TestNamespace;
  let system: TestNamespace;
  let work: string;
  let operator: Proc | undefined;
  let digest: string;
  let hostPort: number;
  let cleanDirs: (() => void) | undefined;

  const podsPath = () => `/api/v1/namespaces/${ns.name}/pods`;
  const runtimePods = async () =>
    (await client.request<{ items: PodObject[] }>({ method: 'GET', path: `${podsPath()}?labelSelector=${encodeURIComponent(`${RUNTIME_LABEL}=edge`)}` })).items;
  const ready = (p: PodObject) => p.status?.phase === 'Running' && (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
  const call = (nodeIp: string) => request(`http://${nodeIp}:${hostPort}`, '/hello', { host: HOST, body: 'ping' });
  const answers = (nodeIp: string, timeoutMs = 120_000) =>
    waitFor(async () => ((await call(nodeIp).catch(() => undefined))?.body.includes('Hello from Flotilla') ? true : undefined), {
      what: `the function to answer at ${nodeIp}:${hostPort}`,
      timeoutMs,
      intervalMs: 25,
      describe: async () => `last: ${JSON.stringify(await call(nodeIp).catch((e: unknown) => String(e)))}\npods: ${JSON.stringify((await runtimePods()).map((p) => p.status))}\noperator:\n${operator?.output.slice(-2000) ?? ''}`,
    });

  beforeAll(async () => {
    const h = harness();
    client = createKubeClient(kubeConfig());
    work = await mkdtemp(join(tmpdir(), 'flotilla-real-nodes-'));

    // The image this checkout builds, not a committed digest.
    let t0 = performance.now();
    digest = (await buildAndPushImages(work))['node-runtime'];
    say(`images built and node runtime pushed in ${Math.round(performance.now() - t0)} ms (${digest})`);

    t0 = performance.now();
    const started = await startReadyNodes(client);
    nodes = started;
    cluster = started.cluster;
    say(`both Nodes Ready in ${Math.round(performance.now() - t0)} ms`);

    ns = await createTestNamespace('real-nodes');
    system = await createTestNamespace('real-nodes-system');
    await installCrds(client, KINDS.map((k) => crdFor(k)));
    cleanDirs = preparePoolDirs(ns.name, 'edge');

    const key = newKey();
    const wasm = new Uint8Array(await readFile(await buildExample('hello')));
    const ref = await publish({ kind: 'registry', registry: h.registry.host, repository: `${uniqueName('real-nodes')}/hello` }, wasm, key);
    await client.request({ method: 'POST', path: resourcePath(CONFIG_MAP_TYPE, { namespace: system.name }), body: { metadata: { name: 'fleet' }, data: { 'policy.json': JSON.stringify({ keys: [key.publicPem], identities: [] }) } } });
    // What the cluster's constructs grant: the pool's nodes read the trust policy in the operator's namespace.
    const sa = nodeRuntimeName('edge');
    await client.request({ method: 'POST', path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${system.name}/roles`, body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'trust-policy-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] } });
    await client.request({
      method: 'POST',
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${system.name}/rolebindings`,
      body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'trust-policy-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'trust-policy-reader' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns.name }] },
    });

    hostPort = await freePort();
    const create = (type: typeof WASM_RUNTIME_TYPE, body: object) => client.request({ method: 'POST', path: resourcePath(type, { namespace: ns.name }), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: type.kind, ...body } });
    await create(WASM_RUNTIME_TYPE, { metadata: { name: 'edge' }, spec: { version: VERSION, trustPolicyRef: { name: 'fleet' }, engine: { workers: 1 }, service: { type: 'HostNetwork', hostPort } } });
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'hello' }, spec: { module: { ref }, limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 4 }, scaling: { minInstances: 2, maxInstances: 2 }, runtimeClass: 'edge' } });
    await create(FUNCTION_ROUTE_TYPE, { metadata: { name: 'hello' }, spec: { host: HOST, pathPrefix: '/hello', backends: [{ functionRef: 'hello', weight: 100 }] } });

    operator = run('operator', [
      'operator', '--kubeconfig', h.kube.kubeconfig, '-n', system.name, '--watch-namespace', ns.name, '--listen', '127.0.0.1:0', '--lease-duration', '3', '--log-level', 'warn',
      '--node-image', `${PINNED_REGISTRY}/flotilla/node-runtime`, '--node-image-pin', `${VERSION}=${PINNED_REGISTRY}/flotilla/node-runtime@${digest}`, '--require-pinned-node-images',
    ]);
    await awaitOutput(operator, /serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
  });

  afterAll(async () => {
    // Every step runs even when one fails: nodes, their pods and the DNAT rule are host-wide.
    const failures: unknown[] = [];
    const steps: (() => unknown)[] = [
      async () => {
        if (!operator) return;
        operator.child.kill('SIGTERM');
        await Promise.race([operator.exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        operator.child.kill('SIGKILL');
      },
      () => ns?.delete(),
      () => system?.delete(),
      () => nodes?.stop(),
      () => cleanDirs?.(),
      () => (work ? rm(work, { recursive: true, force: true }) : undefined),
    ];
    for (const step of steps) await Promise.resolve().then(step).catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw new AggregateError(failures, `real-nodes cleanup: ${failures.length} steps failed`);
  });

  it('runs a node runtime pod from the image built in this run on each node, serving the signed function at each node\'s address, the pool\'s Service endpoints', async () => {
    const t0 = performance.now();
    // Pod start: when the DaemonSet's pod is first seen (25 ms polls; creationTimestamp has whole seconds only).
    const firstSeen = new Map<string, number>();
    const pods = await waitFor(
      async () => {
        const ps = await runtimePods();
        for (const p of ps) if (!firstSeen.has(p.metadata.uid)) firstSeen.set(p.metadata.uid, performance.now());
        return ps.length === 2 && ps.every(ready) ? ps : undefined;
      },
      {
        what: 'two node runtime pods Running and Ready',
        timeoutMs: 240_000,
        intervalMs: 25,
        describe: async () => `pods: ${JSON.stringify((await runtimePods()).map((p) => [p.spec?.nodeName, p.status]))}\noperator:\n${operator?.output.slice(-2000) ?? ''}\n${cluster.nodes.map((n) => `kubelet ${n.name}:\n${logTail(n.kubelet.logFile, 15)}`).join('\n')}`,
      },
    );
    const podsReady = performance.now() - t0;
    expect(new Set(pods.map((p) => p.spec?.nodeName))).toEqual(new Set(cluster.nodes.map((n) => n.name)));
    for (const p of pods) {
      // The operator's pinned name, which the nodes' mirror resolved to the manifest this run built.
      expect(p.spec?.containers?.[0]?.image).toBe(`${PINNED_REGISTRY}/flotilla/node-runtime@${digest}`);
      expect(p.status?.containerStatuses?.[0]?.imageID).toBe(`${PINNED_REGISTRY}/flotilla/node-runtime@${digest}`);
      // HostNetwork: the pod's address is its node's.
      expect(p.status?.podIP).toBe(cluster.nodes.find((n) => n.name === p.spec?.nodeName)?.ip);
    }
    const serving = await Promise.all(
      cluster.nodes.map(async (n) => {
        await answers(n.ip);
        const pod = pods.find((p) => p.spec?.nodeName === n.name)!;
        return `${n.name} ${Math.round(performance.now() - firstSeen.get(pod.metadata.uid)!)} ms`;
      }),
    );
    say(`operator start -> both pods Ready in ${Math.round(podsReady)} ms; pod start (first seen, cold image pull) -> function serving: ${serving.join(', ')}`);
    // kubelet's own account of the image pull, the part of that start the registry and containerd take.
    const pulled = await client.request<{ items: { message?: string }[] }>({ method: 'GET', path: `/api/v1/namespaces/${ns.name}/events?fieldSelector=${encodeURIComponent('reason=Pulled')}` });
    say(`kubelet pulled the node runtime image ${pulled.items.flatMap((e) => /^Successfully pulled image "[^"]*" (in \S+)/.exec(e.message ?? '')?.[1] ?? []).join(', ')}`);
    for (const n of cluster.nodes) {
      const r = await call(n.ip);
      expect(r.status).toBe(200);
      expect(r.body).toContain('Hello from Flotilla');
    }
    // The pool's Service: its endpoints (what kube-proxy, absent here, would forward to) are
    // exactly the two pods at their nodes' addresses and the tenant port, and each answers.
    const slices = await waitFor(
      async () => {
        const list = await client.request<EndpointSliceList>({ method: 'GET', path: `/apis/discovery.k8s.io/v1/namespaces/${ns.name}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${nodeRuntimeName('edge')}`)}` });
        const ready = list.items.flatMap((sl) => sl.endpoints.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
        return ready.length === 2 ? list.items : undefined;
      },
      { what: `the Service ${nodeRuntimeName('edge')} to have two ready endpoints`, timeoutMs: 60_000 },
    );
    const endpoints = slices.flatMap((sl) => sl.endpoints.flatMap((e) => e.addresses));
    expect(new Set(endpoints)).toEqual(new Set(cluster.nodes.map((n) => n.ip)));
    expect(slices.flatMap((sl) => sl.ports.map((p) => p.port))).toEqual([hostPort]);
    for (const address of endpoints) expect((await call(address)).body).toContain('Hello from Flotilla');
  });

  it('a killed node runtime pod is recreated by the DaemonSet and serves again', async () => {
    const node = cluster.nodes[0]!;
    const victim = (await runtimePods()).find((p) => p.spec?.nodeName === node.name);
    expect(victim).toBeDefined();
    const t0 = performance.now();
    await client.request({ method: 'DELETE', path: `${podsPath()}/${victim!.metadata.name}?gracePeriodSeconds=0` });
    // Down first (no stale answer counted as recovery), then up again from a new pod.
    await waitFor(async () => ((await call(node.ip).catch(() => undefined)) === undefined ? true : undefined), { what: `${node.ip} to stop answering`, timeoutMs: 30_000, intervalMs: 25 });
    const down = performance.now();
    await answers(node.ip);
    const gap = performance.now() - t0;
    const replacement = (await runtimePods()).find((p) => p.spec?.nodeName === node.name);
    expect(replacement?.metadata.uid).not.toBe(victim!.metadata.uid);
    say(`pod killed -> serving again on ${node.name} in ${Math.round(gap)} ms (not answering after ${Math.round(down - t0)} ms)`);
    // The other node served throughout.
    expect((await call(cluster.nodes[1]!.ip)).status).toBe(200);
  });
});
