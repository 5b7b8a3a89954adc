/**
 * A WasmRuntime's settings reach its nodes, against the real API server: the operator renders them
 * as the DaemonSet's `flotilla node` arguments (and a real node process started with exactly those
 * arguments runs them), applies the pool's Service, and places by the Node objects' labels.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS, nodeObjectName } from '../../../api/index.ts';
import { WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { harness, uniqueName, waitFor } from '../../harness/index.ts';
import { awaitOutput, run, type Proc } from './cli-process.ts';
import { fnSpec, operatorWorld } from './fixture.ts';
import type { OperatorWorld } from './fixture.ts';

interface DaemonSet { spec: { template: { spec: { containers: { args: string[]; ports: { name: string; hostPort?: number }[] }[] } } } }
interface Service { metadata: { ownerReferences?: { kind: string; name: string }[] }; spec: { type: string; externalTrafficPolicy?: string; ports: { port: number; nodePort?: number; targetPort: string }[]; selector: Record<string, string> } }

describe('WasmRuntime settings on the node', () => {
  let w: OperatorWorld;
  let work: string;
  let nodeProc: Proc | undefined;
  const siteNode = uniqueName('site-node');
  const nodePort = 30000 + Math.floor(Math.random() * 2700);

  beforeAll(async () => {
    w = await operatorWorld('pool-settings');
    work = await mkdtemp(join(tmpdir(), 'flotilla-pool-settings-'));
    // A Node as a kubelet registers it; its labels are the cluster's word on where it is.
    await w.api.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: siteNode, labels: { 'flotilla.dev/site': 'berlin' } } } });
  });
  afterAll(async () => {
    nodeProc?.child.kill('SIGKILL');
    await nodeProc?.exited;
    await w?.api.request({ method: 'DELETE', path: `/api/v1/nodes/${siteNode}` }).catch(() => undefined);
    await w?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('renders every setting as an argument of the DaemonSet, and a node started with those arguments runs them', async () => {
    const nats = harness().nats.url;
    await w.create(WASM_RUNTIME_TYPE, {
      metadata: { name: 'tuned' },
      spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' }, engine: { workers: 3, stackSizeKb: 2048 }, cache: { sizeMiB: 64 }, capacity: { functions: 7 }, nats: { url: nats } },
    });
    const ds = await waitFor(() => w.api.request<DaemonSet>({ method: 'GET', path: `/apis/apps/v1/namespaces/${w.ns.name}/daemonsets/flotilla-node-tuned` }).catch(() => undefined), { what: 'DaemonSet flotilla-node-tuned', timeoutMs: 20_000 });
    const args = ds.spec.template.spec.containers[0]!.args;
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect([flag('--workers'), flag('--stack-size-kb'), flag('--cache-size-mb'), flag('--capacity'), flag('--nats-url')]).toEqual(['3', '2048', '64', '7', nats]);
    // No settings ConfigMap any more: nothing read it.
    await expect(w.api.request({ method: 'GET', path: `/api/v1/namespaces/${w.ns.name}/configmaps/flotilla-node-tuned` })).rejects.toMatchObject({ code: 'NotFound' });

    // The pod's command line, on this machine: the downward API's $(POD_IP) is loopback, and the
    // host paths, ports and kubeconfig a pod has are given after (the last occurrence of a flag wins).
    nodeProc = run('tuned-node', [
      ...args.map((a) => a.replace('$(POD_IP)', '127.0.0.1')),
      '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--cache-dir', join(work, 'cache'), '--state-dir', join(work, 'state'),
      '--kubeconfig', harness().kube.kubeconfig, '--node-name', 'tuned-1', '--trust-namespace', w.ns.name,
    ]);
    await awaitOutput(nodeProc, /"msg":"Node runtime listening"/);
    const lease = await waitFor(
      async () => {
        const l = await w.api.request<{ metadata: { annotations?: Record<string, string> } }>({ method: 'GET', path: `/apis/coordination.k8s.io/v1/namespaces/${w.ns.name}/leases/${nodeObjectName('tuned', 'tuned-1')}` }).catch(() => undefined);
        return l?.metadata.annotations?.[ANNOTATIONS.capacity] !== undefined ? l : undefined;
      },
      { what: 'the node Lease of tuned-1', timeoutMs: 20_000 },
    );
    expect(JSON.parse(lease.metadata.annotations![ANNOTATIONS.capacity]!)).toEqual({ functions: 7 });
    await waitFor(async () => ((await w.get(WASM_RUNTIME_TYPE, 'tuned')).status?.readyNodes === 1 ? true : undefined), { what: 'tuned Ready with one node', timeoutMs: 20_000 });
    // Connected to the cluster's NATS (it would not have started otherwise) with the workers asked for.
    expect(nodeProc.output).not.toMatch(/cluster NATS/);
  });

  it('mounts the pool\'s NATS credentials Secret (its seed only) and passes it as --nats-creds; the node\'s Role still reads no Secret', async () => {
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'authed' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' }, nats: { url: harness().nats.url, credentialsSecret: 'nats-authed' } } });
    const ds = await waitFor(() => w.api.request<DaemonSet & { spec: { template: { spec: { volumes: { name: string; secret?: unknown }[]; containers: { volumeMounts: unknown[] }[] } } } }>({ method: 'GET', path: `/apis/apps/v1/namespaces/${w.ns.name}/daemonsets/flotilla-node-authed` }).catch(() => undefined), { what: 'DaemonSet flotilla-node-authed', timeoutMs: 20_000 });
    const pod = ds.spec.template.spec;
    const args = pod.containers[0]!.args;
    expect(args[args.indexOf('--nats-creds') + 1]).toBe('/var/run/flotilla/nats/seed');
    expect(pod.volumes.find((v) => v.name === 'nats-creds')?.secret).toEqual({ secretName: 'nats-authed', items: [{ key: 'seed', path: 'seed' }], defaultMode: 0o444 });
    expect(pod.containers[0]!.volumeMounts).toContainEqual({ name: 'nats-creds', mountPath: '/var/run/flotilla/nats', readOnly: true });
    const role = await w.api.request<{ rules: { resources: string[] }[] }>({ method: 'GET', path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${w.ns.name}/roles/flotilla-node-authed` });
    expect(role.rules.flatMap((r) => r.resources)).not.toContain('secrets');
  });

  it('applies a Service per pool, owned by the WasmRuntime: NodePort with the chosen port, or HostPort on the pods', async () => {
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'fronted' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' }, service: { type: 'NodePort', nodePort } } });
    const svc = await waitFor(() => w.api.request<Service>({ method: 'GET', path: `/api/v1/namespaces/${w.ns.name}/services/flotilla-node-fronted` }).catch(() => undefined), { what: 'Service flotilla-node-fronted', timeoutMs: 20_000 });
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.externalTrafficPolicy).toBe('Local');
    expect(svc.spec.ports).toMatchObject([{ port: 80, nodePort, targetPort: 'http' }]);
    expect(svc.metadata.ownerReferences).toMatchObject([{ kind: 'WasmRuntime', name: 'fronted' }]);

    // Switching to HostPort: the same Service becomes ClusterIP (the API server drops the nodePort) and the pods take the host port.
    await w.api.request({ method: 'PATCH', path: `/apis/flotilla.dev/v1alpha1/namespaces/${w.ns.name}/wasmruntimes/fronted`, body: { spec: { service: { type: 'HostPort', hostPort: 8081, nodePort: null } } }, contentType: 'application/merge-patch+json' });
    const switched = await waitFor(
      async () => {
        const s = await w.api.request<Service>({ method: 'GET', path: `/api/v1/namespaces/${w.ns.name}/services/flotilla-node-fronted` });
        return s.spec.type === 'ClusterIP' ? s : undefined;
      },
      { what: 'Service flotilla-node-fronted to become ClusterIP', timeoutMs: 20_000 },
    );
    expect(switched.spec.ports[0]?.nodePort).toBeUndefined();
    const ds = await w.api.request<DaemonSet>({ method: 'GET', path: `/apis/apps/v1/namespaces/${w.ns.name}/daemonsets/flotilla-node-fronted` });
    expect(ds.spec.template.spec.containers[0]?.ports.find((p) => p.name === 'http')?.hostPort).toBe(8081);

    // The API server refuses a nodePort with HostPort, naming the field (the CEL rule).
    await expect(w.api.request({ method: 'PATCH', path: `/apis/flotilla.dev/v1alpha1/namespaces/${w.ns.name}/wasmruntimes/fronted`, body: { spec: { service: { nodePort } } }, contentType: 'application/merge-patch+json' })).rejects.toMatchObject({ message: expect.stringMatching(/spec\.service\.nodePort.*nodePort is for type NodePort/) as unknown });
    // HostNetwork puts the admin port on the node's address too: the tenant port may not take it.
    await expect(w.api.request({ method: 'PATCH', path: `/apis/flotilla.dev/v1alpha1/namespaces/${w.ns.name}/wasmruntimes/fronted`, body: { spec: { service: { type: 'HostNetwork', hostPort: 9090 } } }, contentType: 'application/merge-patch+json' })).rejects.toMatchObject({ message: expect.stringMatching(/spec\.service\.hostPort.*9090 is the node runtime's admin port/) as unknown });
  });

  it('places by the Node object\'s labels, and re-places when the Node is relabelled', async () => {
    // Two runtimes registered without --labels, as DaemonSet pods are: one on the labelled Node, one on a machine without a Node object.
    await w.addNode(siteNode);
    await w.addNode('bare-device');
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'berliner' }, spec: { ...fnSpec(await w.pushModule('berliner'), 1), placement: { nodeSelector: { 'flotilla.dev/site': 'berlin' } } } });
    const placed = await waitFor(async () => {
      const f = await w.get(WASM_FUNCTION_TYPE, 'berliner');
      return f.status?.nodes?.length ? f : undefined;
    }, { what: 'berliner placed', timeoutMs: 20_000 });
    expect((placed.status as { nodes: string[] }).nodes).toEqual([siteNode]);

    await w.api.request({ method: 'PATCH', path: `/api/v1/nodes/${siteNode}`, body: { metadata: { labels: { 'flotilla.dev/site': 'lisbon' } } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => {
      const f = await w.get(WASM_FUNCTION_TYPE, 'berliner');
      return (f.status?.nodes ?? []).length === 0 ? true : undefined;
    }, { what: 'berliner taken off the relabelled node', timeoutMs: 20_000 });
  });
});
