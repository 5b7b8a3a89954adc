/**
 * kubelet for one harness node against the test apiserver: a client certificate as
 * `system:node:<name>`, containerd over CRI, cgroupfs under the node's own cgroup root (so two
 * kubelets on one host keep apart), every dir and port its own, and eviction thresholds low
 * enough that a nearly full test disk does not evict the pods under test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { toolPath } from '../tools/paths.ts';
import { issueClientCert } from './certs.ts';
import { freePort, httpReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';
import type { KubeInfo } from './types.ts';

export interface KubeletOptions {
  /** Node name (an RFC 1123 label): the Node object and the kubelet's user `system:node:<name>`. */
  readonly name: string;
  /** The node's own directory; kubelet's state goes to `<dir>/kubelet`. */
  readonly dir: string;
  readonly logDir: string;
  readonly api: KubeInfo;
  /** The node's IP (not loopback: kubelet rejects that): kubelet listens there and reports it as InternalIP. */
  readonly nodeIp: string;
  /** containerd's CRI endpoint, `unix:///...`. */
  readonly runtimeEndpoint: string;
  /** cgroup v1 path the node owns, e.g. `/flotilla-node-a-1f2e`; kubelet creates `kubepods` below it. */
  readonly cgroupRoot: string;
  /** Labels the Node registers with. @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface Kubelet extends RunningServer {
  readonly nodeName: string;
  /** https://<node IP>:<port>, kubelet's API. */
  readonly url: string;
}

/** The KubeletConfiguration of a harness node (pure). */
export function kubeletConfig(opts: { readonly dir: string; readonly nodeIp: string; readonly caFile: string; readonly runtimeEndpoint: string; readonly cgroupRoot: string; readonly port: number; readonly healthzPort: number }): Record<string, unknown> {
  const hard = { 'memory.available': '50Mi', 'nodefs.available': '100Mi', 'imagefs.available': '100Mi', 'nodefs.inodesFree': '1000' };
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // This kernel offers cgroup v1 only; kubelet 1.35 refuses it unless told otherwise.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: opts.cgroupRoot,
    cgroupsPerQOS: true,
    containerRuntimeEndpoint: opts.runtimeEndpoint,
    address: opts.nodeIp,
    port: opts.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: opts.healthzPort,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: opts.caFile } },
    authorization: { mode: 'Webhook' },
    podLogsDir: join(opts.dir, 'pod-logs'),
    failSwapOn: false,
    // Its default, -999, needs CAP_SYS_RESOURCE, which this VM's bounding set lacks.
    oomScoreAdj: 0,
    evictionHard: hard,
    // Image GC by disk usage would delete the images under test on a full disk; 100 turns it off.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    maxPods: 30,
    // Faster status for tests: Ready shows within seconds of the runtime being up.
    nodeStatusUpdateFrequency: '2s',
    syncFrequency: '10s',
  };
}

/** A kubeconfig that authenticates with a client certificate (pure). */
export function certKubeconfig(server: string, caFile: string, user: string, cert: { readonly certFile: string; readonly keyFile: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'flotilla-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { 'client-certificate': cert.certFile, 'client-key': cert.keyFile } }],
    contexts: [{ name: 'flotilla-test', context: { cluster: 'flotilla-test', user } }],
    'current-context': 'flotilla-test',
  });
}

/** Starts kubelet and waits for its healthz; the Node's Ready condition is the caller's to await. */
export async function startKubelet(opts: KubeletOptions): Promise<Kubelet> {
  const dir = join(opts.dir, 'kubelet');
  const root = join(dir, 'root');
  mkdirSync(root, { recursive: true });
  const user = `system:node:${opts.name}`;
  const cert = issueClientCert(opts.api, dir, 'client', user, ['system:nodes']);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, certKubeconfig(opts.api.server, opts.api.caFile, user, cert), { mode: 0o600 });
  const [port, healthzPort] = [await freePort(), await freePort()];
  const config = join(dir, 'config.yaml');
  writeFileSync(config, stringify(kubeletConfig({ dir, nodeIp: opts.nodeIp, caFile: opts.api.caFile, runtimeEndpoint: opts.runtimeEndpoint, cgroupRoot: opts.cgroupRoot, port, healthzPort })));
  const labels = Object.entries(opts.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const server = await startServer({
    name: `kubelet-${opts.name}`,
    command: toolPath('kubelet'),
    args: [
      `--config=${config}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${root}`,
      `--cert-dir=${join(dir, 'pki')}`,
      `--hostname-override=${opts.name}`,
      `--node-ip=${opts.nodeIp}`,
      ...(labels ? [`--node-labels=${labels}`] : []),
      '--v=1',
    ],
    logFile: join(opts.logDir, `kubelet-${opts.name}.log`),
    ready: () => httpReady(`http://127.0.0.1:${healthzPort}/healthz`),
    port: healthzPort,
    timeoutMs: 120_000,
  });
  return { ...server, nodeName: opts.name, url: `https://${opts.nodeIp}:${port}` };
}
