/**
 * A node runtime reduced to its side of the operator contract: the real NodeAgent
 * (node-runtime/cluster/agent.ts: Lease heartbeat + assignment ConfigMap watch) reporting every assigned
 * function as Loaded, instead of actually running modules (the node runtime's cluster mode is not
 * built yet; these tests are about the operator). Each node talks to the apiserver through its own
 * cuttable proxy, so kill() is a real crash from the cluster's point of view: heartbeats stop
 * mid-flight and the Lease is left to expire.
 */
import { NodeAgent } from '../../../node-runtime/cluster/agent.ts';
import type { AssignedFunction, FunctionReport, NodeAssignment, NodeRouteReport } from '../../../api/index.ts';
import { createKubeClient, systemClock } from '../../../kube/index.ts';
import { harness } from '../../harness/index.ts';
import { cuttableProxy, kubeConfigVia, quietLog } from './support.ts';
import type { CuttableProxy } from './support.ts';

export interface SimulatedNode {
  readonly name: string;
  /** False once killed. */
  readonly alive: boolean;
  /** The last assignment it received. */
  assignment(): NodeAssignment | undefined;
  /** Crashes the node: its connection to the apiserver is cut; the Lease expires on its own. */
  kill(): void;
  /** Reports the routes it refuses (auth it cannot enforce), as a node runtime does. */
  reportRoutes(routes: NodeRouteReport): void;
  /** Stops the agent (after kill(), only releases resources). */
  close(): Promise<void>;
}

export interface SimulatedNodeOptions {
  readonly namespace: string;
  readonly runtime: string;
  readonly node: string;
  readonly labels?: Record<string, string>;
  /** Runtime version it reports. @default '0.1.0' */
  readonly version?: string;
  /** @default 2 */
  readonly leaseSeconds?: number;
  /** Heartbeat interval. @default 300 */
  readonly intervalMs?: number;
  /** Functions it accepts. @default 10 */
  readonly capacity?: number;
  /** What it reports per assigned function. @default Loaded at the assigned digest */
  readonly reportFor?: (fn: AssignedFunction) => FunctionReport;
}

export async function simulatedNode(opts: SimulatedNodeOptions): Promise<SimulatedNode> {
  const proxy: CuttableProxy = await cuttableProxy(harness().kube.server);
  const agent = new NodeAgent({
    client: createKubeClient(kubeConfigVia(proxy.url)),
    clock: systemClock,
    log: quietLog,
    namespace: opts.namespace,
    runtime: opts.runtime,
    node: opts.node,
    holder: `${opts.node}-sim`,
    leaseDurationSeconds: opts.leaseSeconds ?? 2,
    heartbeatMs: opts.intervalMs ?? 300,
    labels: opts.labels ?? {},
    capacity: { functions: opts.capacity ?? 10 },
    version: opts.version ?? '0.1.0',
  });
  const reportFor = opts.reportFor ?? ((f: AssignedFunction): FunctionReport => ({ digest: f.digest, state: 'Loaded' }));
  let last: NodeAssignment | undefined;
  let alive = true;
  await agent.start((a) => {
    last = a;
    agent.setReport(Object.fromEntries(a.functions.map((f) => [`${f.namespace}/${f.name}`, reportFor(f)])));
  });
  return {
    name: opts.node,
    get alive() {
      return alive;
    },
    assignment: () => last,
    reportRoutes: (routes) => agent.setRoutes(routes),
    kill() {
      alive = false;
      proxy.cut();
    },
    async close() {
      await agent.stop();
      await proxy.close();
    },
  };
}
