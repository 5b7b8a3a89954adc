/**
 * The platform on real nodes: two kubelet + containerd nodes on the harness apiserver; the node
 * runtime image built in this run (devenv/images) pushed to the loopback registry; the operator
 * (a process) pinned to that image under the name clusters/images.json uses
 * (registry.flotilla.local:5000/flotilla/node-runtime@sha256:...), which each node's containerd
 * resolves through a mirror to the loopback registry, as a site's pull-through mirror would. The
 * operator renders the pool's DaemonSet (service.type HostNetwork: each pod on its node's address)
 * and the pods start from that image, verify a signed module and serve it at each node's address,
 * which are the endpoints of the pool's Service.
 * A killed pod is recreated by the DaemonSet and serves again. A function pinned by a node label
 * runs only on the labelled node (the other forwards to it) and follows the label. A drain (cordon,
 * then the Eviction API on the node's pod) moves the functions off while the other node answers
 * throughout; the gaps are printed. Timings go to stderr.
 *
 * The node runtime pods reach the apiserver at the `kubernetes` Service's ClusterIP, as in any
 * cluster, through the harness's one-rule stand-in for kube-proxy (devenv/servers/kubernetes-service.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../artifacts/index.ts';
import { crdFor, KINDS, NODE_PEER_CALLS, NODE_PEER_CLUSTER_ROLE, nodeRuntimeName, nodeTrustPolicyCalls, rulesFor, RUNTIME_LABEL } from '../../api/index.ts';
import { request } from '../../devenv/fixtures/http-client.ts';
import { FlotillaNats } from '../../constructs/nats.ts';
import { NATS_CLIENT_PORT, NATS_MONITOR_PORT } from '../../constructs/nats-server.ts';
import { installCrds } from '../../devenv/fixtures/crds.ts';
import { newKey, publish } from '../../devenv/fixtures/modules.ts';
import { startRegistry } from '../../devenv/servers/registry.ts';
import type { Registry } from '../../devenv/servers/registry.ts';
import type { KubeNodes } from '../../devenv/servers/kube-node.ts';
import { routeClusterIp } from '../../devenv/servers/kubernetes-service.ts';
import type { Unroute } from '../../devenv/servers/kubernetes-service.ts';
import { freePort } from '../../devenv/servers/process.ts';
import { buildExample } from '../../examples/functions/build.ts';
import { createKubeClient, CONFIG_MAP_TYPE, resourcePath } from '../../kube/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { FUNCTION_ROUTE_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../operator/kinds.ts';
import { awaitOutput, run } from '../integration/operator/cli-process.ts';
import type { Proc } from '../integration/operator/cli-process.ts';
import { createTestNamespace, harness, kubeConfig, logTail, uniqueName, waitFor } from '../harness/index.ts';
import type { TestNamespace } from '../harness/index.ts';
import { PINNED_REGISTRY, VERSION, buildAndPushImages, preparePoolDirs, runCleanup, startReadyNodes } from './real-nodes-fixture.ts';

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
  let ref: string;
  let key: ReturnType<typeof newKey>;
  let natsDigest: string;
  let unrouteNats: Unroute | undefined;
  let privateRegistry: Registry | undefined;
  let cleanDirs: (() => void) | undefined;
  let peerRoleCreated = false;

  const podsPath = () => `/api/v1/namespaces/${ns.name}/pods`;
  const runtimePods = async () =>
    (await client.request<{ items: PodObject[] }>({ method: 'GET', path: `${podsPath()}?labelSelector=${encodeURIComponent(`${RUNTIME_LABEL}=edge`)}` })).items;
  const ready = (p: PodObject) => p.status?.phase === 'Running' && (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
  const call = (nodeIp: string, host = HOST) => request(`http://${nodeIp}:${hostPort}`, '/hello', { host, body: 'ping', timeoutMs: 10_000 });
  const patchNode = (name: string, body: object) => client.request({ method: 'PATCH', path: `/api/v1/nodes/${name}`, contentType: 'application/merge-patch+json', body });
  const functionNodes = async (name: string) =>
    (await client.request<{ status?: { nodes?: string[] } }>({ method: 'GET', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: ns.name, name }) })).status?.nodes ?? [];
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

    // The images this checkout builds, not committed digests.
    let t0 = performance.now();
    const built = await buildAndPushImages(work);
    digest = built['node-runtime'];
    natsDigest = built.nats;
    say(`images built and pushed in ${Math.round(performance.now() - t0)} ms (node runtime ${digest})`);

    t0 = performance.now();
    nodes = await startReadyNodes(client);
    cluster = nodes.cluster;
    say(`both Nodes Ready in ${Math.round(performance.now() - t0)} ms`);

    ns = await createTestNamespace('real-nodes');
    system = await createTestNamespace('real-nodes-system');
    await installCrds(client, KINDS.map((k) => crdFor(k)));
    cleanDirs = preparePoolDirs(ns.name, 'edge');

    key = newKey();
    const wasm = new Uint8Array(await readFile(await buildExample('hello')));
    ref = await publish({ kind: 'registry', registry: h.registry.host, repository: `${uniqueName('real-nodes')}/hello` }, wasm, key);
    await client.request({ method: 'POST', path: resourcePath(CONFIG_MAP_TYPE, { namespace: system.name }), body: { metadata: { name: 'fleet' }, data: { 'policy.json': JSON.stringify({ keys: [key.publicPem], identities: [] }) } } });
    // What the cluster's constructs grant (the same tables, api/rbac.ts): the pool's nodes read the trust policy in the operator's namespace.
    const sa = nodeRuntimeName('edge');
    await client.request({ method: 'POST', path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${system.name}/roles`, body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'trust-policy-reader' }, rules: rulesFor(nodeTrustPolicyCalls('fleet')) } });
    await client.request({
      method: 'POST',
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${system.name}/rolebindings`,
      body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'trust-policy-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'trust-policy-reader' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns.name }] },
    });
    // And the ClusterRole the operator binds each pool to, so a node can check its peers' tokens (TokenReview).
    await client.request({ method: 'POST', path: '/apis/rbac.authorization.k8s.io/v1/clusterroles', body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: NODE_PEER_CLUSTER_ROLE }, rules: rulesFor(NODE_PEER_CALLS) } });
    peerRoleCreated = true;

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
    await runCleanup('real-nodes', [
      async () => {
        if (!operator) return;
        operator.child.kill('SIGTERM');
        await Promise.race([operator.exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        operator.child.kill('SIGKILL');
      },
      () => ns?.delete(),
      () => system?.delete(),
      // Cluster scoped: left behind it would clash with the chart's own (helm-install.test.ts), and the operator's binding with it.
      () => (peerRoleCreated ? client.request({ method: 'DELETE', path: `/apis/rbac.authorization.k8s.io/v1/clusterroles/${NODE_PEER_CLUSTER_ROLE}` }) : undefined),
      () => client.request({ method: 'DELETE', path: `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${NODE_PEER_CLUSTER_ROLE}-${ns.name}-${nodeRuntimeName('edge')}` }).catch(() => undefined),
      () => nodes?.stop(),
      () => unrouteNats?.(),
      () => privateRegistry?.stop(),
      () => cleanDirs?.(),
      () => (work ? rm(work, { recursive: true, force: true }) : undefined),
    ]);
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
  it('a function pinned to a node label runs only on the labelled node (the other forwards to it) and moves when the label moves', async () => {
    const [a, b] = [cluster.nodes[0]!, cluster.nodes[1]!];
    const label = 'flotilla.test/pinned';
    const host = 'pinned.example';
    const create = (type: typeof WASM_FUNCTION_TYPE, body: object) => client.request({ method: 'POST', path: resourcePath(type, { namespace: ns.name }), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: type.kind, ...body } });
    await patchNode(b.name, { metadata: { labels: { [label]: 'yes' } } });
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'pinned' }, spec: { module: { ref }, limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 4 }, scaling: { minInstances: 1, maxInstances: 2 }, runtimeClass: 'edge', placement: { nodeSelector: { [label]: 'yes' } } } });
    await create(FUNCTION_ROUTE_TYPE, { metadata: { name: 'pinned' }, spec: { host, pathPrefix: '/hello', backends: [{ functionRef: 'pinned', weight: 100 }] } });
    // Served by `at` whichever node the request lands on: directly there, forwarded by the other.
    const servedOnlyBy = (at: string, other: { name: string; ip: string }, by: { ip: string }) =>
      waitFor(
        async () => {
          const [direct, forwarded] = [await call(by.ip, host).catch(() => undefined), await call(other.ip, host).catch(() => undefined)];
          const ok =
            direct?.status === 200 && direct.headers['x-flotilla-served-by'] === at && direct.headers['x-flotilla-forwarded-by'] === undefined &&
            forwarded?.status === 200 && forwarded.headers['x-flotilla-served-by'] === at && forwarded.headers['x-flotilla-forwarded-by'] === other.name;
          return ok && JSON.stringify(await functionNodes('pinned')) === JSON.stringify([at]) ? true : undefined;
        },
        {
          what: `pinned to be placed on ${at} only and answer there and through ${other.name}`,
          timeoutMs: 120_000,
          intervalMs: 100,
          describe: async () => `status.nodes: ${JSON.stringify(await functionNodes('pinned'))}\ndirect: ${JSON.stringify(await call(by.ip, host).catch(String))}\nthrough ${other.name}: ${JSON.stringify(await call(other.ip, host).catch(String))}\noperator:\n${operator?.output.slice(-2000) ?? ''}`,
        },
      );
    let t0 = performance.now();
    await servedOnlyBy(b.name, a, b);
    say(`pinned by label to ${b.name}: serving there and forwarded from ${a.name} ${Math.round(performance.now() - t0)} ms after create`);
    for (let i = 0; i < 10; i++) {
      const r = await call(a.ip, host);
      expect([r.status, r.headers['x-flotilla-served-by'], r.headers['x-flotilla-forwarded-by']]).toEqual([200, b.name, a.name]);
    }

    // The label moves: the function follows, with no pod restart.
    const pods = new Set((await runtimePods()).map((p) => p.metadata.uid));
    t0 = performance.now();
    await patchNode(b.name, { metadata: { labels: { [label]: null } } });
    await patchNode(a.name, { metadata: { labels: { [label]: 'yes' } } });
    await servedOnlyBy(a.name, b, a);
    say(`label moved ${b.name} -> ${a.name}: pinned serving on ${a.name} only after ${Math.round(performance.now() - t0)} ms`);
    expect(new Set((await runtimePods()).map((p) => p.metadata.uid))).toEqual(pods);

    await client.request({ method: 'DELETE', path: resourcePath(FUNCTION_ROUTE_TYPE, { namespace: ns.name, name: 'pinned' }) });
    await client.request({ method: 'DELETE', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: ns.name, name: 'pinned' }) });
    await patchNode(a.name, { metadata: { labels: { [label]: null } } });
  });

  it('a drained node (cordon + Eviction of its pod) moves its functions off, the other node answers throughout, and the drained node forwards once back', async () => {
    const [a, b] = [cluster.nodes[0]!, cluster.nodes[1]!];
    await waitFor(async () => (JSON.stringify(await functionNodes('hello')) === JSON.stringify([a.name, b.name].sort()) ? true : undefined), { what: 'hello on both nodes', timeoutMs: 120_000 });
    // Calls through each node every 25 ms for the whole drain: the longest time between two answers is the gap a client of that node sees.
    const watchNode = (ip: string) => {
      const seen = { ok: 0, failed: 0, failures: [] as string[], maxGapMs: 0, last: performance.now() };
      let stop = false;
      const done = (async () => {
        while (!stop) {
          const r = await call(ip).catch((e: unknown) => String(e));
          const now = performance.now();
          if (typeof r !== 'string' && r.status === 200 && r.body.includes('Hello from Flotilla')) {
            seen.maxGapMs = Math.max(seen.maxGapMs, now - seen.last);
            seen.last = now;
            seen.ok++;
          } else {
            seen.failed++;
            if (seen.failures.length < 5) seen.failures.push(typeof r === 'string' ? r : `${r.status} ${r.body.slice(0, 200)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();
      return { seen, stop: async () => { stop = true; await done; seen.maxGapMs = Math.max(seen.maxGapMs, performance.now() - seen.last); } };
    };
    const throughB = watchNode(b.ip);
    const throughA = watchNode(a.ip);
    const victim = (await runtimePods()).find((p) => p.spec?.nodeName === a.name)!;
    const t0 = performance.now();
    try {
      await patchNode(a.name, { spec: { unschedulable: true } });
      await waitFor(async () => (JSON.stringify(await functionNodes('hello')) === JSON.stringify([b.name]) ? true : undefined), { what: `hello to move off cordoned ${a.name}`, timeoutMs: 60_000, describe: () => Promise.resolve(`operator:\n${operator?.output.slice(-2000) ?? ''}`) });
      const moved = performance.now() - t0;
      // What kubectl drain does to each pod: the Eviction API (policy/v1), which honours PodDisruptionBudgets.
      await client.request({ method: 'POST', path: `${podsPath()}/${victim.metadata.name}/eviction`, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: victim.metadata.name, namespace: ns.name } } });
      // The DaemonSet tolerates the cordon and puts a pod back on the node; it runs nothing but forwards to the other.
      await waitFor(
        async () => {
          const r = await call(a.ip).catch(() => undefined);
          const back = (await runtimePods()).find((p) => p.spec?.nodeName === a.name && p.metadata.uid !== victim.metadata.uid);
          return back && ready(back) && r?.status === 200 && r.headers['x-flotilla-served-by'] === b.name && r.headers['x-flotilla-forwarded-by'] === a.name ? true : undefined;
        },
        { what: `a new pod on cordoned ${a.name} forwarding hello to ${b.name}`, timeoutMs: 180_000, intervalMs: 100, describe: async () => `pods: ${JSON.stringify((await runtimePods()).map((p) => [p.spec?.nodeName, p.status?.phase]))}\nlast: ${JSON.stringify(await call(a.ip).catch(String))}` },
      );
      const back = performance.now() - t0;
      await throughA.stop();
      await throughB.stop();
      say(
        `drain of ${a.name}: hello off it ${Math.round(moved)} ms after the cordon; ${a.name} forwarding again after ${Math.round(back)} ms; ` +
          `through ${b.name}: ${throughB.seen.ok} answers, ${throughB.seen.failed} failures, longest gap ${Math.round(throughB.seen.maxGapMs)} ms; ` +
          `through ${a.name}: ${throughA.seen.ok} answers, ${throughA.seen.failed} failures, longest gap ${Math.round(throughA.seen.maxGapMs)} ms`,
      );
      expect(throughB.seen.failures).toEqual([]);
      expect(throughB.seen.ok).toBeGreaterThan(0);
    } finally {
      await throughA.stop();
      await throughB.stop();
      await patchNode(a.name, { spec: { unschedulable: null } });
    }
    // Uncordoned: the function comes back to both nodes.
    await waitFor(async () => (JSON.stringify(await functionNodes('hello')) === JSON.stringify([a.name, b.name].sort()) ? true : undefined), { what: `hello back on ${a.name} after the uncordon`, timeoutMs: 120_000 });
  });
  it('a state.store: nats function shares its state across both nodes through the NATS the platform renders, running as a pod from the nats image built in this run', async () => {
    const h = harness();
    const [a, b] = [cluster.nodes[0]!, cluster.nodes[1]!];
    // The objects an EdgeCluster with `nats: install` renders (constructs/nats.ts), image pinned to this run's build.
    const chart = new Chart(new App(), 'nats');
    new FlotillaNats(chart, 'nats', { namespace: system.name, image: `${PINNED_REGISTRY}/flotilla/nats@${natsDigest}` });
    for (const obj of chart.toJson() as { apiVersion: string; kind: string }[]) {
      const plural = `${obj.kind.toLowerCase()}s`;
      const base = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
      await client.request({ method: 'POST', path: `${base}/namespaces/${system.name}/${plural}`, body: obj });
    }
    const t0 = performance.now();
    const natsPod = await waitFor(
      async () => {
        const ps = (await client.request<{ items: PodObject[] }>({ method: 'GET', path: `/api/v1/namespaces/${system.name}/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/name=flotilla-nats')}` })).items;
        return ps.length === 1 && ready(ps[0]!) ? ps[0] : undefined;
      },
      { what: 'the NATS pod Running and Ready', timeoutMs: 180_000, describe: async () => JSON.stringify((await client.request<{ items: PodObject[] }>({ method: 'GET', path: `/api/v1/namespaces/${system.name}/pods` })).items.map((p) => p.status)) },
    );
    say(`NATS StatefulSet pod Ready on ${natsPod.spec?.nodeName} in ${Math.round(performance.now() - t0)} ms (${natsPod.status?.podIP})`);
    expect(natsPod.status?.containerStatuses?.[0]?.imageID).toBe(`${PINNED_REGISTRY}/flotilla/nats@${natsDigest}`);
    // The Service's ClusterIP, reached by the host-network node runtime pods through a DNAT rule in
    // place of kube-proxy; the harness has no cluster DNS, so the URL names the ClusterIP, not flotilla-nats.<ns>.svc.
    const svc = await client.request<{ spec: { clusterIP: string } }>({ method: 'GET', path: `/api/v1/namespaces/${system.name}/services/flotilla-nats` });
    unrouteNats = await routeClusterIp(svc.spec.clusterIP, NATS_CLIENT_PORT, `${natsPod.status!.podIP!}:${NATS_CLIENT_PORT}`);
    const natsUrl = `nats://${svc.spec.clusterIP}:${NATS_CLIENT_PORT}`;
    const before = new Set((await runtimePods()).map((p) => p.metadata.uid));
    await client.request({ method: 'PATCH', path: resourcePath(WASM_RUNTIME_TYPE, { namespace: ns.name, name: 'edge' }), contentType: 'application/merge-patch+json', body: { spec: { nats: { url: natsUrl } } } });
    // A settings change is a pod template change: the DaemonSet rolls both pods onto --nats-url.
    await waitFor(
      async () => {
        const ps = await runtimePods();
        return ps.length === 2 && ps.every((p) => !before.has(p.metadata.uid) && ready(p)) ? true : undefined;
      },
      { what: 'both node runtime pods rolled with --nats-url and Ready', timeoutMs: 480_000, describe: async () => JSON.stringify((await runtimePods()).map((p) => [p.spec?.nodeName, p.status?.phase])) },
    );
    say(`node runtime pods rolled onto ${natsUrl} ${Math.round(performance.now() - t0)} ms after the NATS pod was created`);

    const wasm = new Uint8Array(await readFile(await buildExample('kv-counter')));
    const counterRef = await publish({ kind: 'registry', registry: h.registry.host, repository: `${uniqueName('real-nodes')}/kv-counter` }, wasm, key);
    const host = 'counter.example';
    await client.request({ method: 'POST', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: ns.name }), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name: 'counter' }, spec: { module: { ref: counterRef }, limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 4 }, scaling: { minInstances: 2, maxInstances: 2 }, runtimeClass: 'edge', state: { store: 'nats' } } } });
    await client.request({ method: 'POST', path: resourcePath(FUNCTION_ROUTE_TYPE, { namespace: ns.name }), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: 'FunctionRoute', metadata: { name: 'counter' }, spec: { host, pathPrefix: '/count', backends: [{ functionRef: 'counter', weight: 100 }] } } });
    const count = (ip: string) => request(`http://${ip}:${hostPort}`, '/count', { host, timeoutMs: 10_000 });
    const servedHere = async (n: { name: string; ip: string }) => {
      const r = await count(n.ip).catch(() => undefined);
      return r?.status === 200 && r.headers['x-flotilla-served-by'] === n.name && r.headers['x-flotilla-forwarded-by'] === undefined ? r : undefined;
    };
    // The first answer on each node (waited for) counts; then one call each: the counts interleave, one bucket.
    const first = await waitFor(() => servedHere(a), { what: `counter served on ${a.name}`, timeoutMs: 120_000, intervalMs: 200, describe: async () => `${JSON.stringify(await count(a.ip).catch(String))}\noperator:\n${operator?.output.slice(-2000) ?? ''}` });
    const second = await waitFor(() => servedHere(b), { what: `counter served on ${b.name}`, timeoutMs: 120_000, intervalMs: 200, describe: async () => JSON.stringify(await count(b.ip).catch(String)) });
    const n1 = Number(/count=(\d+)/.exec(first.body)?.[1]);
    expect(Number(/count=(\d+)/.exec(second.body)?.[1])).toBeGreaterThan(n1);
    const third = await count(a.ip);
    const fourth = await count(b.ip);
    const [n3, n4] = [third, fourth].map((r) => Number(/count=(\d+)/.exec(r.body)?.[1]));
    expect([third.headers['x-flotilla-served-by'], fourth.headers['x-flotilla-served-by']]).toEqual([a.name, b.name]);
    expect(n4).toBe(n3! + 1);
    // And the state is in JetStream, in the function's KV bucket (not on the nodes' shared disk).
    const jsz = await request(`http://${natsPod.status!.podIP!}:${NATS_MONITOR_PORT}`, '/jsz?streams=true');
    const streams = (JSON.parse(jsz.body) as { account_details?: { stream_detail?: { name: string; state: { messages: number } }[] }[] }).account_details?.flatMap((d) => d.stream_detail ?? []) ?? [];
    const bucket = streams.find((st) => st.name === `KV_flotilla_kv_${ns.name}_counter`);
    expect(bucket?.state.messages).toBeGreaterThan(0);
    say(`counter: ${a.name} count=${n3}, ${b.name} count=${n4}: one NATS KV bucket (${bucket?.name}) for both nodes`);
  });
  it('a module in a registry that requires a password is pulled by the pods with the pool\'s Secret, refused with a reason naming the Secret when its password is wrong, and the password is never logged', async () => {
    const [a, b] = [cluster.nodes[0]!, cluster.nodes[1]!];
    const user = 'ci';
    const password = 'correct horse';
    const wrong = 'battery staple';
    privateRegistry = await startRegistry(join(work, 'private-registry'), harness().logDir, { htpasswd: { user, password } });
    const secret = (pw: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [privateRegistry!.host]: { auth: Buffer.from(`${user}:${pw}`).toString('base64') } } })).toString('base64') },
    });
    await client.request({ method: 'POST', path: `/api/v1/namespaces/${ns.name}/secrets`, body: secret(password) });
    const wasm = new Uint8Array(await readFile(await buildExample('hello')));
    const credentials = staticCredentials({ [privateRegistry.host]: { username: user, password } });
    const privateRef = await publish({ kind: 'registry', registry: privateRegistry.host, repository: `private/${uniqueName('hello')}` }, wasm, key, undefined, { credentials });
    // Anonymous pulls are refused: the registry is private.
    expect((await request(privateRegistry.url, '/v2/')).status).toBe(401);

    const before = new Set((await runtimePods()).map((p) => p.metadata.uid));
    const t0 = performance.now();
    await client.request({ method: 'PATCH', path: resourcePath(WASM_RUNTIME_TYPE, { namespace: ns.name, name: 'edge' }), contentType: 'application/merge-patch+json', body: { spec: { registryCredentials: [{ name: 'regcred' }] } } });
    await waitFor(
      async () => {
        const ps = await runtimePods();
        return ps.length === 2 && ps.every((p) => !before.has(p.metadata.uid) && ready(p)) ? true : undefined;
      },
      { what: 'both node runtime pods rolled with --registry-credentials regcred and Ready', timeoutMs: 480_000, describe: async () => JSON.stringify((await runtimePods()).map((p) => [p.spec?.nodeName, p.status?.phase])) },
    );
    const host = 'private.example';
    const createFn = async (name: string, fnRef: string) => {
      await client.request({ method: 'POST', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: ns.name }), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name }, spec: { module: { ref: fnRef }, limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 4 }, scaling: { minInstances: 2, maxInstances: 2 }, runtimeClass: 'edge' } } });
    };
    await createFn('private', privateRef);
    await client.request({ method: 'POST', path: resourcePath(FUNCTION_ROUTE_TYPE, { namespace: ns.name }), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: 'FunctionRoute', metadata: { name: 'private' }, spec: { host, pathPrefix: '/hello', backends: [{ functionRef: 'private', weight: 100 }] } } });
    for (const n of [a, b]) {
      await waitFor(
        async () => {
          const r = await call(n.ip, host).catch(() => undefined);
          return r?.status === 200 && r.body.includes('Hello from Flotilla') && r.headers['x-flotilla-served-by'] === n.name && r.headers['x-flotilla-forwarded-by'] === undefined ? true : undefined;
        },
        { what: `the private module pulled and served on ${n.name}`, timeoutMs: 120_000, intervalMs: 200, describe: async () => `${JSON.stringify(await call(n.ip, host).catch(String))}\noperator:\n${operator?.output.slice(-2000) ?? ''}` },
      );
    }
    say(`private registry: pods rolled onto regcred and the private module served on both nodes ${Math.round(performance.now() - t0)} ms after the WasmRuntime change`);

    // The password changes at the registry's side of things (the Secret now holds a wrong one): a module not yet pulled is refused, naming the Secret.
    await client.request({ method: 'PUT', path: `/api/v1/namespaces/${ns.name}/secrets/regcred`, body: secret(wrong) });
    const otherRef = await publish({ kind: 'registry', registry: privateRegistry.host, repository: `private/${uniqueName('hello')}` }, wasm, key, undefined, { credentials });
    await createFn('refused', otherRef);
    const refused = await waitFor(
      async () => {
        const fn = await client.request<{ status?: { conditions?: (Condition & { reason?: string; message?: string })[] } }>({ method: 'GET', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: ns.name, name: 'refused' }) });
        const c = fn.status?.conditions?.find((x) => x.type === 'ModuleAvailable');
        return c?.status === 'False' && c.reason === 'Unauthorized' ? c : undefined;
      },
      { what: 'refused: ModuleAvailable False Unauthorized', timeoutMs: 60_000 },
    );
    expect(refused.message).toContain(`expected access with the credentials of Secret ${ns.name}/regcred, got 401`);
    // Never logged: not by the operator, not by the node runtime pods, not in the status.
    const secretsOf = [password, wrong, Buffer.from(`${user}:${password}`).toString('base64'), Buffer.from(`${user}:${wrong}`).toString('base64')];
    // The pods' logs as kubelet keeps them (podLogsDir; the harness apiserver cannot resolve node names for `kubectl logs`), every pod of the run.
    const podLogs = cluster.nodes.flatMap((n) => {
      const dir = join(harness().workDir, 'nodes', n.name, 'kubelet', 'pod-logs');
      return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.startsWith(`${ns.name}_`) && f.endsWith('.log')).map((f) => readFileSync(join(dir, f), 'utf8'));
    });
    expect(podLogs.join('')).toContain('Node runtime listening');
    for (const text of [operator?.output ?? '', ...podLogs, JSON.stringify(refused)]) for (const s of secretsOf) expect(text).not.toContain(s);
    say(`private registry: refused with "${refused.message}"`);
  });
});
