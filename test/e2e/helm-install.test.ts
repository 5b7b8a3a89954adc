/**
 * The chart on a fresh cluster: two kubelet + containerd nodes, `helm install` (the pinned helm) of
 * gitops/charts/flotilla with the operator and node runtime images built in this run. The operator
 * runs as a pod from its image (hostNetwork: the harness has no kube-proxy, and the `kubernetes`
 * Service stand-in routes only the host's network namespace; devenv/servers/kubernetes-service.ts),
 * reaches Ready, and rolls the pool of a WasmRuntime created afterwards; its pods serve a signed
 * function at each node's address, the pool Service's endpoints. `helm uninstall` removes what the
 * release installed. Timings go to stderr.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_LABEL, nodeRuntimeName } from '../../api/index.ts';
import type { ChartValues } from '../../constructs/index.ts';
import { request } from '../../devenv/fixtures/http-client.ts';
import { newKey, publish } from '../../devenv/fixtures/modules.ts';
import type { KubeNodes } from '../../devenv/servers/kube-node.ts';
import { freePort } from '../../devenv/servers/process.ts';
import { toolPath } from '../../devenv/tools/paths.ts';
import { buildExample } from '../../examples/functions/build.ts';
import { createKubeClient, resourcePath } from '../../kube/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { FUNCTION_ROUTE_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../operator/kinds.ts';
import { createTestNamespace, harness, kubeConfig, logTail, uniqueName, waitFor } from '../harness/index.ts';
import type { TestNamespace } from '../harness/index.ts';
import { PINNED_REGISTRY, VERSION, buildAndPushImages, preparePoolDirs, runCleanup, startReadyNodes } from './real-nodes-fixture.ts';
import type { BuiltDigests } from './real-nodes-fixture.ts';

const CHART = fileURLToPath(new URL('../../gitops/charts/flotilla', import.meta.url));
const HOST = 'apps.example';
const RELEASE = 'flotilla';

interface PodObject {
  readonly metadata: { readonly name: string; readonly uid: string };
  readonly spec?: { readonly nodeName?: string; readonly hostNetwork?: boolean; readonly containers?: readonly { readonly image?: string }[] };
  readonly status?: { readonly phase?: string; readonly podIP?: string; readonly conditions?: readonly { type: string; status: string }[]; readonly containerStatuses?: readonly { readonly imageID?: string }[] };
}

function say(line: string): void {
  process.stderr.write(`helm-install: ${line}\n`);
}

describe('helm install of the flotilla chart on real kubelet nodes', () => {
  let client: KubeClient;
  let nodes: { cluster: KubeNodes; stop: () => Promise<void> } | undefined;
  let ns: TestNamespace;
  let system: TestNamespace;
  let work: string;
  let digests: BuiltDigests;
  let hostPort: number;
  let installed = false;
  let cleanDirs: (() => void) | undefined;

  const helm = (args: string[]) => execa(toolPath('helm'), [...args, '--kubeconfig', harness().kube.kubeconfig], { reject: false, timeout: 300_000 });
  const pods = async (namespace: string, selector: string) =>
    (await client.request<{ items: PodObject[] }>({ method: 'GET', path: `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}` })).items;
  const operatorPods = () => pods(system.name, 'app.kubernetes.io/name=flotilla-operator');
  const runtimePods = () => pods(ns.name, `${RUNTIME_LABEL}=edge`);
  const ready = (p: PodObject) => p.status?.phase === 'Running' && (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
  const call = (ip: string) => request(`http://${ip}:${hostPort}`, '/hello', { host: HOST, body: 'ping' });
  const kubeletLogs = () => nodes?.cluster.nodes.map((n) => `kubelet ${n.name}:\n${logTail(n.kubelet.logFile, 15)}`).join('\n') ?? '';
  const operatorLog = async () => {
    const p = (await operatorPods())[0];
    if (!p) return 'no operator pod';
    return client.request<string>({ method: 'GET', path: `/api/v1/namespaces/${system.name}/pods/${p.metadata.name}/log?tailLines=40` }).catch((e: unknown) => `log: ${String(e)}`);
  };
  /** Polls `list` every 25 ms until `done`, recording when each pod was first seen. */
  const watchPods = async (list: () => Promise<PodObject[]>, done: (ps: PodObject[]) => boolean, firstSeen: Map<string, number>, what: string) =>
    waitFor(
      async () => {
        const ps = await list();
        for (const p of ps) if (!firstSeen.has(p.metadata.uid)) firstSeen.set(p.metadata.uid, performance.now());
        return done(ps) ? ps : undefined;
      },
      { what, timeoutMs: 300_000, intervalMs: 25, describe: async () => `pods: ${JSON.stringify((await list()).map((p) => [p.spec?.nodeName, p.status]))}\noperator log:\n${JSON.stringify(await operatorLog())}\n${kubeletLogs()}` },
    );

  beforeAll(async () => {
    client = createKubeClient(kubeConfig());
    work = await mkdtemp(join(tmpdir(), 'flotilla-helm-install-'));
    let t0 = performance.now();
    digests = await buildAndPushImages(work);
    say(`images built and pushed in ${Math.round(performance.now() - t0)} ms (operator ${digests.operator}, node runtime ${digests['node-runtime']})`);
    t0 = performance.now();
    nodes = await startReadyNodes(client);
    say(`both Nodes Ready in ${Math.round(performance.now() - t0)} ms`);
    ns = await createTestNamespace('helm-fn');
    system = await createTestNamespace('helm-system');
    cleanDirs = preparePoolDirs(ns.name, 'edge');
  });

  afterAll(async () => {
    await runCleanup('helm-install', [
      async () => (installed ? helm(['uninstall', RELEASE, '-n', system.name]) : undefined),
      () => ns?.delete(),
      () => system?.delete(),
      () => nodes?.stop(),
      () => cleanDirs?.(),
      () => (work ? rm(work, { recursive: true, force: true }) : undefined),
    ]);
  });

  it('installs: the operator runs as a pod from the image built in this run and reaches Ready', async () => {
    const key = newKey();
    const metricsPort = await freePort();
    const values: ChartValues = {
      images: {
        registry: PINNED_REGISTRY,
        operator: { repository: 'flotilla/operator', digest: digests.operator },
        nodeRuntime: { version: VERSION, repository: 'flotilla/node-runtime', digest: digests['node-runtime'] },
      },
      watchNamespace: ns.name,
      logLevel: 'info',
      operator: { replicas: 1, hostNetwork: true, metricsPort },
      trustPolicy: { name: 'site-trust', keys: [key.publicPem], identities: [] },
      nodePools: [{ namespace: ns.name, name: 'edge' }],
    };
    const valuesFile = join(work, 'values.json');
    await writeFile(valuesFile, JSON.stringify(values));
    const t0 = performance.now();
    const r = await helm(['install', RELEASE, CHART, '-n', system.name, '-f', valuesFile]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    installed = true;
    say(`helm install returned in ${Math.round(performance.now() - t0)} ms`);

    const firstSeen = new Map<string, number>();
    const [pod] = await watchPods(operatorPods, (ps) => ps.length === 1 && ps.every(ready), firstSeen, 'the operator pod Running and Ready');
    const readyAt = performance.now();
    expect(pod?.spec?.containers?.[0]?.image).toBe(`${PINNED_REGISTRY}/flotilla/operator@${digests.operator}`);
    expect(pod?.status?.containerStatuses?.[0]?.imageID).toBe(`${PINNED_REGISTRY}/flotilla/operator@${digests.operator}`);
    expect(pod?.spec?.hostNetwork).toBe(true);
    say(`operator pod start (first seen, cold image pull) -> Ready in ${Math.round(readyAt - firstSeen.get(pod!.metadata.uid)!)} ms; helm install -> operator Ready in ${Math.round(readyAt - t0)} ms`);
    // Ready is the operator's /readyz, which it answers only with its informers synced: it reached the apiserver.
    const health = await request(`http://${pod!.status!.podIP!}:${metricsPort}`, '/readyz', {});
    expect(health.status).toBe(200);

    // The function's objects, after the install, as a user of the chart would create them.
    const wasm = new Uint8Array(await readFile(await buildExample('hello')));
    const ref = await publish({ kind: 'registry', registry: harness().registry.host, repository: `${uniqueName('helm')}/hello` }, wasm, key);
    hostPort = await freePort();
    const create = (type: typeof WASM_RUNTIME_TYPE, body: object) => client.request({ method: 'POST', path: resourcePath(type, { namespace: ns.name }), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: type.kind, ...body } });
    await create(WASM_RUNTIME_TYPE, { metadata: { name: 'edge' }, spec: { version: VERSION, trustPolicyRef: { name: 'site-trust' }, engine: { workers: 1 }, service: { type: 'HostNetwork', hostPort } } });
    await create(WASM_FUNCTION_TYPE, { metadata: { name: 'hello' }, spec: { module: { ref }, limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 4 }, scaling: { minInstances: 2, maxInstances: 2 }, runtimeClass: 'edge' } });
    await create(FUNCTION_ROUTE_TYPE, { metadata: { name: 'hello' }, spec: { host: HOST, pathPrefix: '/hello', backends: [{ functionRef: 'hello', weight: 100 }] } });
  });

  it('the operator rolls the pool: a node runtime pod on each node serves the function through the pool Service', async () => {
    const firstSeen = new Map<string, number>();
    const t0 = performance.now();
    const running = await watchPods(runtimePods, (ps) => ps.length === 2 && ps.every(ready), firstSeen, 'two node runtime pods Running and Ready');
    say(`WasmRuntime created -> both node runtime pods Ready in ${Math.round(performance.now() - t0)} ms`);
    const cluster = nodes!.cluster;
    expect(new Set(running.map((p) => p.spec?.nodeName))).toEqual(new Set(cluster.nodes.map((n) => n.name)));
    for (const p of running) expect(p.status?.containerStatuses?.[0]?.imageID).toBe(`${PINNED_REGISTRY}/flotilla/node-runtime@${digests['node-runtime']}`);
    const serving = await Promise.all(
      cluster.nodes.map(async (n) => {
        await waitFor(async () => ((await call(n.ip).catch(() => undefined))?.body.includes('Hello from Flotilla') ? true : undefined), {
          what: `the function to answer at ${n.ip}:${hostPort}`,
          timeoutMs: 120_000,
          intervalMs: 25,
          describe: async () => `last: ${JSON.stringify(await call(n.ip).catch((e: unknown) => String(e)))}\noperator log:\n${JSON.stringify(await operatorLog())}`,
        });
        const pod = running.find((p) => p.spec?.nodeName === n.name)!;
        return `${n.name} ${Math.round(performance.now() - firstSeen.get(pod.metadata.uid)!)} ms`;
      }),
    );
    say(`node runtime pod start (first seen, cold image pull) -> function serving: ${serving.join(', ')}`);
    // The pool's Service: its ready endpoints are the two nodes' addresses, and each answers.
    const endpoints = await waitFor(
      async () => {
        const list = await client.request<{ items: { endpoints: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] }>({
          method: 'GET',
          path: `/apis/discovery.k8s.io/v1/namespaces/${ns.name}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${nodeRuntimeName('edge')}`)}`,
        });
        const addresses = list.items.flatMap((sl) => sl.endpoints.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
        return addresses.length === 2 ? addresses : undefined;
      },
      { what: `the Service ${nodeRuntimeName('edge')} to have two ready endpoints`, timeoutMs: 60_000 },
    );
    expect(new Set(endpoints)).toEqual(new Set(cluster.nodes.map((n) => n.ip)));
    for (const address of endpoints) {
      const r = await call(address);
      expect(r.status).toBe(200);
      expect(r.body).toContain('Hello from Flotilla');
    }
  });

  it('helm uninstall removes what the release installed (the CRDs stay, as Helm keeps them)', async () => {
    const r = await helm(['uninstall', RELEASE, '-n', system.name]);
    expect(r.exitCode, r.stderr).toBe(0);
    installed = false;
    const gone = async (path: string) => client.request({ method: 'GET', path }).then(() => false, (e: unknown) => /404|NotFound|not found/i.test(String(e)));
    for (const path of [
      `/apis/apps/v1/namespaces/${system.name}/deployments/flotilla-operator`,
      `/api/v1/namespaces/${system.name}/configmaps/site-trust`,
      `/api/v1/namespaces/${system.name}/serviceaccounts/flotilla-operator`,
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/flotilla-operator',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/flotilla-operator',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${system.name}/rolebindings/flotilla-node-trust-policy`,
      '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/flotilla-wasmruntime-ceilings',
    ]) {
      expect(await gone(path), path).toBe(true);
    }
    await waitFor(async () => ((await operatorPods()).length === 0 ? true : undefined), { what: 'the operator pod to go', timeoutMs: 120_000 });
    expect(await gone('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/wasmfunctions.flotilla.dev')).toBe(false);
  });
});
