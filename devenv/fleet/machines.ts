/**
 * The local fleet's edge machines and the node runtimes each runs. On a real cluster a machine runs
 * one pod of each pool's DaemonSet whose nodeSelector its labels match, every pod under the
 * machine's name and its pool's ServiceAccount; `flotilla up` does the same with processes.
 */
import { readFileSync } from 'node:fs';
import { nodeRuntimeName, PEER_AUDIENCE } from '../../api/index.ts';
import type { KubeApiServer } from '../servers/kube-apiserver.ts';
import { applyYaml, kubectl } from '../servers/kube.ts';
import { waitFor } from '../servers/wait.ts';

/** A pool (WasmRuntime) as the local fleet starts it. */
export interface Pool {
  readonly name: string;
  readonly namespace: string;
  /** The ServiceAccount the operator creates for the pool's node runtimes. */
  readonly serviceAccount: string;
}

export interface Machine {
  readonly name: string;
  /** Node labels: what pools' nodeSelectors and functions' placement.nodeSelector match. */
  readonly labels: Readonly<Record<string, string>>;
  /** Pools whose nodeSelector these labels satisfy: one node runtime each. */
  readonly pools: readonly Pool[];
}

type RenderedRuntime = { readonly metadata: { readonly name: string; readonly namespace: string }; readonly spec: { readonly nodeSelector?: Readonly<Record<string, string>> } };

/**
 * `count` machines for `cluster`, each carrying every pool's selector labels so every pool has
 * `count` nodes: the rendered functions ask for up to that many instances in any pool (compute
 * wants two in the large pool).
 */
export function machinesFor(cluster: string, count: number, runtimes: readonly RenderedRuntime[]): Machine[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`machines per cluster: expected an integer >= 1, got ${count}`);
  const labels = Object.assign({}, ...runtimes.map((r) => r.spec.nodeSelector ?? {})) as Record<string, string>;
  const pools = runtimes
    .filter((r) => Object.entries(r.spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v))
    .map((r) => ({ name: r.metadata.name, namespace: r.metadata.namespace, serviceAccount: nodeRuntimeName(r.metadata.name) }));
  return Array.from({ length: count }, (_, i) => ({ name: `${cluster}-node-${i + 1}`, labels, pools }));
}

/**
 * A kubeconfig for a pool's node runtime on `machine`: a token of the pool's ServiceAccount (the
 * operator creates it when it reconciles the WasmRuntime, so this waits for it), never the admin's,
 * bound to the machine's Node object as a kubelet-projected token is to its pod's node: the token
 * names the node (`authentication.kubernetes.io/node-name`), which is what lets the admission policy
 * `flotilla-node-own-lease` (api/node-lease-policy.ts) hold this node to its own Lease. The local
 * fleet has no kubelet to register the Node, so this registers it, with the machine's labels.
 */
export async function nodeRuntimeKubeconfig(api: KubeApiServer, pool: Pool, machine: { readonly name: string; readonly labels: Readonly<Record<string, string>> }, render: (server: string, caPem: string, token: string) => string): Promise<string> {
  await waitFor(
    async () => ((await kubectl(api.kubeconfig, ['get', 'serviceaccount', pool.serviceAccount, '-n', pool.namespace, '-o', 'name']).catch(() => '')).trim() !== '' ? true : undefined),
    { what: `ServiceAccount ${pool.namespace}/${pool.serviceAccount} (created by the operator for WasmRuntime ${pool.name})`, timeoutMs: 120_000, intervalMs: 500 },
  );
  await applyYaml(api.kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: machine.name, labels: machine.labels } }));
  // A year: the local fleet lives as long as `up` runs; the API server sets no maximum.
  const token = (await kubectl(api.kubeconfig, ['create', 'token', pool.serviceAccount, '-n', pool.namespace, '--bound-object-kind', 'Node', '--bound-object-name', machine.name, '--duration=8760h'])).trim();
  return render(api.server, readFileSync(api.caFile, 'utf8'), token);
}

/**
 * The pool's peer token (audience flotilla-peer), as the kubelet projects it into a node runtime
 * pod: the local fleet has no kubelet, so `up` mints it, for as long as the fleet lives. Call after
 * nodeRuntimeKubeconfig (the ServiceAccount exists then).
 */
export async function nodePeerToken(api: KubeApiServer, pool: Pool): Promise<string> {
  return (await kubectl(api.kubeconfig, ['create', 'token', pool.serviceAccount, '-n', pool.namespace, `--audience=${PEER_AUDIENCE}`, '--duration=8760h'])).trim();
}
