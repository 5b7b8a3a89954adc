/**
 * Real Kubernetes nodes for the harness: each node is its own containerd (own CNI bridge and /24,
 * own state) plus a kubelet, under its own dir and cgroup; `startKubeNodes` adds the scheduler and
 * the sandbox image they share. One containerd per node rather than one shared: CRI takes a single
 * CNI config per containerd, so a shared one would put every node's pods on one bridge and range,
 * and stopping one node could not take its pods down without touching the other's.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pushNodeImage } from '../fixtures/node-images.ts';
import { createBridge, deleteBridge, freePodNetwork, nodeAddress } from './cni.ts';
import type { PodNetwork } from './cni.ts';
import { startContainerd } from './containerd.ts';
import type { Containerd } from './containerd.ts';
import { applyYaml, kubectl } from './kube.ts';
import { startKubeScheduler } from './kube-scheduler.ts';
import { startKubelet } from './kubelet.ts';
import type { Kubelet } from './kubelet.ts';
import { createCgroup, joinCgroup, removeCgroup, unmountUnder } from './node-host.ts';
import { forgetNode, recordNode, removeStaleNodes } from './stale-nodes.ts';
import type { RunningServer } from './process.ts';
import type { KubeInfo } from './types.ts';

export interface KubeNodeOptions {
  /** Node name, an RFC 1123 label unique on the apiserver. */
  readonly name: string;
  /** Parent of the node's dir. */
  readonly baseDir: string;
  readonly logDir: string;
  readonly api: KubeInfo;
  /** Pod sandbox image reference (see devenv/fixtures/node-images.ts). */
  readonly sandboxImage: string;
  /** Registries pulled from over plain http (`host:port`). */
  readonly httpRegistries: readonly string[];
  readonly network: PodNetwork;
  /** Registry name -> plain-http `host:port` that serves its images (containerd's hosts config). @default none */
  readonly mirrors?: Readonly<Record<string, string>>;
  /** @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface KubeNode {
  readonly name: string;
  readonly network: PodNetwork;
  /** The node's InternalIP: its bridge's address, reachable from the host and from every pod. */
  readonly ip: string;
  readonly containerd: Containerd;
  readonly kubelet: Kubelet;
  /** Stops kubelet, kills the node's pods and shims, stops containerd, and removes mounts, cgroups, bridge, dir and Node object. */
  stop(): Promise<void>;
}

/**
 * The harness apiserver authorizes with RBAC alone (no Node authorizer), so kubelets get the
 * `system:node` role through the binding clusters had before the Node authorizer existed.
 */
const NODE_ROLE_BINDING = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: flotilla-harness:nodes
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:node
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: system:nodes
`;

/** Runs every cleanup step even when one fails, then reports all failures together. */
async function runAll(what: string, steps: readonly (() => unknown)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${what}: ${errors.length} cleanup steps failed: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);
}

/** Starts one node (containerd + kubelet); the Node's Ready condition is the caller's to await. */
export async function startKubeNode(opts: KubeNodeOptions): Promise<KubeNode> {
  const dir = join(opts.baseDir, opts.name);
  mkdirSync(dir, { recursive: true });
  const cgroup = `/flotilla-${opts.name}-${randomBytes(3).toString('hex')}`;
  recordNode({ cgroup, dir, bridge: opts.network.bridge });
  createCgroup(cgroup);
  createCgroup(`${cgroup}/shims`);
  // containerd and kubelet join the node's cgroup too: should this process die without stop(), the
  // next run's removeStaleNodes kills them with the containers (they run in groups of their own).
  createCgroup(`${cgroup}/daemons`);
  let containerd: Containerd | undefined;
  let kubelet: Kubelet | undefined;
  const cleanup = (): Promise<void> =>
    runAll(`node ${opts.name}`, [
      () => kubelet?.stop(),
      // Containers and shims first: containerd stopping does not stop them.
      () => removeCgroup(cgroup),
      () => containerd?.stop(),
      () => unmountUnder(dir),
      () => deleteBridge(opts.network.bridge),
      () => (kubelet ? kubectl(opts.api.kubeconfig, ['delete', 'node', opts.name, '--ignore-not-found', '--wait=false']) : undefined),
      () => rmSync(dir, { recursive: true, force: true }),
      () => forgetNode(cgroup),
    ]);
  try {
    createBridge(opts.network);
    containerd = await startContainerd({
      name: opts.name,
      dir,
      logDir: opts.logDir,
      network: opts.network,
      sandboxImage: opts.sandboxImage,
      httpRegistries: opts.httpRegistries,
      ...(opts.mirrors ? { mirrors: opts.mirrors } : {}),
      shimCgroup: `${cgroup}/shims`,
    });
    joinCgroup(`${cgroup}/daemons`, containerd.pid);
    kubelet = await startKubelet({
      name: opts.name,
      dir,
      logDir: opts.logDir,
      api: opts.api,
      nodeIp: nodeAddress(opts.network),
      runtimeEndpoint: containerd.endpoint,
      cgroupRoot: cgroup,
      ...(opts.labels ? { labels: opts.labels } : {}),
    });
    joinCgroup(`${cgroup}/daemons`, kubelet.pid);
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
  return { name: opts.name, network: opts.network, ip: nodeAddress(opts.network), containerd, kubelet, stop: cleanup };
}

export interface KubeNodesOptions {
  /** Parent of the nodes' dirs (the harness work dir, say). */
  readonly baseDir: string;
  readonly logDir: string;
  readonly api: KubeInfo;
  /** `host:port` of the loopback registry: the sandbox image is pushed there and pods pull from it over http. */
  readonly registry: string;
  /** Registry name -> plain-http `host:port` serving its images, e.g. the pinned images' registry -> the loopback one. @default none */
  readonly mirrors?: Readonly<Record<string, string>>;
  /** One node per name, with its labels. */
  readonly nodes: readonly { readonly name: string; readonly labels?: Readonly<Record<string, string>> }[];
}

export interface KubeNodes {
  readonly nodes: readonly KubeNode[];
  readonly scheduler: RunningServer;
  readonly sandboxImage: string;
  /** Stops every node, then the scheduler. */
  stop(): Promise<void>;
}

/** Starts kube-scheduler and the given nodes against the harness apiserver. */
export async function startKubeNodes(opts: KubeNodesOptions): Promise<KubeNodes> {
  await removeStaleNodes();
  await applyYaml(opts.api.kubeconfig, NODE_ROLE_BINDING);
  const sandboxImage = await pushNodeImage(opts.registry, 'pause');
  const baseDir = join(opts.baseDir, 'nodes');
  const taken = new Set<number>();
  const networks = opts.nodes.map(() => {
    const net = freePodNetwork(taken);
    taken.add(Number(net.subnet.split('.')[2]));
    return net;
  });
  const started = await Promise.allSettled([
    startKubeScheduler(join(baseDir, 'kube-scheduler'), opts.logDir, opts.api),
    ...opts.nodes.map((n, i) =>
      startKubeNode({ name: n.name, baseDir, logDir: opts.logDir, api: opts.api, sandboxImage, httpRegistries: [opts.registry], network: networks[i] as PodNetwork, ...(opts.mirrors ? { mirrors: opts.mirrors } : {}), ...(n.labels ? { labels: n.labels } : {}) }),
    ),
  ]);
  const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = (): Promise<void> => runAll('kube nodes', up.map((s) => () => s.stop()).reverse());
  const failed = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length > 0) {
    await stopAll().catch(() => undefined);
    throw failed.length === 1 ? failed[0] : new AggregateError(failed, `kube nodes: ${failed.length} failed to start: ${failed.map((f) => (f instanceof Error ? f.message : String(f))).join('\n\n')}`);
  }
  const [scheduler, ...nodes] = up as [RunningServer, ...KubeNode[]];
  return { nodes, scheduler, sandboxImage, stop: stopAll };
}
