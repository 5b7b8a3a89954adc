/**
 * A node runtime reduced to its side of the operator contract (operator/nodes/contract.ts): it
 * heartbeats its Lease, reads its assignment ConfigMap and reports every assigned function Loaded.
 * The real runtime's cluster mode does the same plus actually running the modules; these tests are
 * about the operator, so they drive the contract directly and let a test "kill" a node by stopping
 * its heartbeat.
 */
import { ASSIGNMENT_KEY, nodeObjectName } from '../../../operator/nodes/contract.ts';
import type { AssignedFunction, FunctionReport, NodeAssignment, NodeReport } from '../../../operator/nodes/contract.ts';
import { nodeLease } from '../../../operator/nodes/node-lease.ts';
import { KubeApiError, LEASE_TYPE, resourcePath } from '../../../operator/runtime/index.ts';
import type { KubeClient } from '../../../operator/runtime/index.ts';

export interface SimulatedNode {
  readonly name: string;
  /** The last assignment it read. */
  assignment(): NodeAssignment | undefined;
  /** False once killed. */
  readonly alive: boolean;
  /** Stops heartbeating (the Lease expires on its own, like a crashed node). */
  kill(): void;
}

export interface SimulatedNodeOptions {
  readonly namespace: string;
  readonly runtime: string;
  readonly node: string;
  readonly labels?: Record<string, string>;
  /** Runtime version it reports. @default '0.1.0' */
  readonly version?: string;
  readonly leaseSeconds?: number;
  readonly intervalMs?: number;
  /** Functions it accepts. @default 10 */
  readonly capacity?: number;
  /** What it reports per assigned function. @default Loaded at the assigned digest */
  readonly reportFor?: (fn: AssignedFunction) => FunctionReport;
}

export function simulatedNode(api: KubeClient, opts: SimulatedNodeOptions): SimulatedNode {
  let alive = true;
  let last: NodeAssignment | undefined;
  const beat = async () => {
    try {
      const cm = await api.request<{ data?: Record<string, string> }>({ method: 'GET', path: `/api/v1/namespaces/${opts.namespace}/configmaps/${nodeObjectName(opts.node)}` });
      last = JSON.parse(cm.data?.[ASSIGNMENT_KEY] ?? 'null') as NodeAssignment | undefined;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 'NotFound')) throw err;
    }
    const reportFor = opts.reportFor ?? ((f: AssignedFunction): FunctionReport => ({ digest: f.digest, state: 'Loaded' }));
    const report: NodeReport = Object.fromEntries((last?.functions ?? []).map((f) => [`${f.namespace}/${f.name}`, reportFor(f)]));
    const lease = nodeLease({
      namespace: opts.namespace,
      runtime: opts.runtime,
      node: opts.node,
      holder: `${opts.node}-sim`,
      leaseDurationSeconds: opts.leaseSeconds ?? 2,
      nowMs: Date.now(),
      labels: opts.labels ?? {},
      capacity: { functions: opts.capacity ?? 10 },
      version: opts.version ?? '0.1.0',
      report,
    });
    await api.request({
      method: 'PATCH',
      path: resourcePath(LEASE_TYPE, { namespace: opts.namespace, name: lease.metadata.name }),
      query: { fieldManager: 'flotilla-node', force: true },
      body: lease,
      contentType: 'application/apply-patch+yaml',
    });
  };
  const loop = async () => {
    while (alive) {
      await beat().catch(() => undefined);
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 300));
    }
  };
  void loop();
  return {
    name: opts.node,
    get alive() {
      return alive;
    },
    assignment: () => last,
    kill: () => {
      alive = false;
    },
  };
}
