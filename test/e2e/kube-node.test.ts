/**
 * Two real nodes on the harness apiserver: kube-scheduler, and per node a containerd (CRI, runc,
 * overlayfs, its own CNI bridge) and a kubelet. Both Nodes become Ready; a Pod of an image built
 * here and pushed to the loopback registry is scheduled onto each, pulled over http, Running and
 * Ready (kubelet probes it over the bridge), answers the test on its pod IP from the node's range
 * and on its hostPort at the node's IP (CNI portmap), and on delete is gone from the apiserver and
 * from the network. Timings go to stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushNodeImage } from '../../devenv/fixtures/node-images.ts';
import { startKubeNodes } from '../../devenv/servers/kube-node.ts';
import type { KubeNodes } from '../../devenv/servers/kube-node.ts';
import { freePort } from '../../devenv/servers/process.ts';
import { createKubeClient, KubeApiError } from '../../kube/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { createTestNamespace, harness, kubeConfig, logTail, uniqueName, waitFor } from '../harness/index.ts';
import type { TestNamespace } from '../harness/index.ts';

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}
interface NodeObject {
  readonly status?: { readonly conditions?: readonly Condition[]; readonly addresses?: readonly { readonly type: string; readonly address: string }[] };
}
interface PodObject {
  readonly spec?: { readonly nodeName?: string };
  readonly status?: { readonly phase?: string; readonly podIP?: string; readonly conditions?: readonly Condition[]; readonly containerStatuses?: readonly unknown[] };
}

const PORT = 8080;

function say(line: string): void {
  process.stderr.write(`kube-node: ${line}\n`);
}

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return `${res.status} ${await res.text()}`;
}

describe('real kubelet nodes', () => {
  let cluster: KubeNodes;
  let client: KubeClient;
  let ns: TestNamespace;
  let helloImage: string;

  beforeAll(async () => {
    const h = harness();
    client = createKubeClient(kubeConfig());
    const t0 = performance.now();
    cluster = await startKubeNodes({
      baseDir: h.workDir,
      logDir: h.logDir,
      api: h.kube,
      registry: h.registry.host,
      nodes: [{ name: uniqueName('node-a') }, { name: uniqueName('node-b') }],
    });
    const started = performance.now();
    await Promise.all(
      cluster.nodes.map((n) =>
        waitFor(
          async () => {
            const node = await client.request<NodeObject>({ method: 'GET', path: `/api/v1/nodes/${n.name}` });
            return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
          },
          { what: `Node ${n.name} Ready`, timeoutMs: 180_000, describe: () => Promise.resolve(`kubelet log:\n${logTail(n.kubelet.logFile, 30)}`) },
        ),
      ),
    );
    say(`processes up in ${Math.round(started - t0)} ms; both Nodes Ready ${Math.round(performance.now() - t0)} ms after start`);
    ns = await createTestNamespace('kube-node');
    helloImage = await pushNodeImage(h.registry.host, 'hello-http');
  });

  afterAll(async () => {
    await ns?.delete();
    await cluster?.stop();
  });

  it('registers each node with its own InternalIP (its bridge address), not loopback', async () => {
    for (const n of cluster.nodes) {
      const node = await client.request<NodeObject>({ method: 'GET', path: `/api/v1/nodes/${n.name}` });
      expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: n.ip });
    }
    expect(new Set(cluster.nodes.map((n) => n.ip)).size).toBe(cluster.nodes.length);
  });

  it('runs a Pod from the loopback registry on each node, reachable on its pod IP and hostPort, and deletes it cleanly', async () => {
    for (const node of cluster.nodes) {
      const name = uniqueName('hello');
      const hostPort = await freePort();
      const path = `/api/v1/namespaces/${ns.name}/pods/${name}`;
      const t0 = performance.now();
      await client.request({
        method: 'POST',
        path: `/api/v1/namespaces/${ns.name}/pods`,
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: ns.name },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': node.name },
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            // The harness has no cluster DNS; the host's resolver is all a pod gets.
            dnsPolicy: 'Default',
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: 'hello',
                image: helloImage,
                args: [String(PORT)],
                // hostPort: the CNI portmap plugin forwards <node IP>:<hostPort> to the pod, as an edge site would expose it.
                ports: [{ containerPort: PORT, hostPort }],
                // kubelet probes over the bridge: Ready proves the host reaches the pod network.
                readinessProbe: { httpGet: { path: '/', port: PORT }, periodSeconds: 1 },
              },
            ],
          },
        },
      });
      const pod = await waitFor(
        async () => {
          const p = await client.request<PodObject>({ method: 'GET', path });
          return p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
        },
        {
          what: `Pod ${name} Running and Ready on ${node.name}`,
          timeoutMs: 120_000,
          describe: async () => `pod: ${JSON.stringify((await client.request<PodObject>({ method: 'GET', path })).status)}\nkubelet log:\n${logTail(node.kubelet.logFile, 20)}\ncontainerd log:\n${logTail(node.containerd.logFile, 20)}`,
        },
      );
      say(`${node.name}: pod create -> Running and Ready in ${Math.round(performance.now() - t0)} ms`);

      expect(pod.spec?.nodeName).toBe(node.name);
      const ip = pod.status?.podIP ?? '';
      const prefix = node.network.subnet.replace(/0\/24$/, '');
      expect(ip.startsWith(prefix), `pod IP ${ip} in ${node.network.subnet}`).toBe(true);
      expect(await get(`http://${ip}:${PORT}/`)).toBe(`200 hello from ${name}\n`);
      expect(await get(`http://${node.ip}:${hostPort}/`)).toBe(`200 hello from ${name}\n`);

      const t1 = performance.now();
      await client.request({ method: 'DELETE', path });
      await waitFor(
        async () => {
          try {
            await client.request({ method: 'GET', path });
            return undefined;
          } catch (err) {
            if (err instanceof KubeApiError && err.code === 'NotFound') return true;
            throw err;
          }
        },
        { what: `Pod ${name} deleted`, timeoutMs: 60_000 },
      );
      say(`${node.name}: pod delete -> gone in ${Math.round(performance.now() - t1)} ms`);
      // Gone from the network too: its sandbox and veth were torn down, not just the API object.
      await expect(get(`http://${ip}:${PORT}/`)).rejects.toThrow();
      await expect(get(`http://${node.ip}:${hostPort}/`)).rejects.toThrow();
    }
  });
});
