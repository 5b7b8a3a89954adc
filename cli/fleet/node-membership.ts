/**
 * Makes a standalone node runtime a member of its cluster's pools: the operator's NodeAgent
 * (operator/nodes/agent.ts) heartbeats a Lease per pool, and the report it carries comes from the
 * node's own /readyz (applied, still loading, failed modules by key). This is how the operator sees
 * the local fleet's standalone nodes; `flotilla node --cluster` does it natively and replaces it.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { NodeAgent } from '../../node-runtime/cluster/agent.ts';
import type { AssignedFunction, FunctionReport, NodeReport } from '../../api/index.ts';
import { createKubeClient, systemClock } from '../../operator/runtime/index.ts';

/** What the node runtime's /readyz says (node-runtime/node.ts). */
export interface NodeReadiness {
  readonly applied: boolean;
  readonly loading: number;
  /** Function key (namespace/name) -> failure reason code. */
  readonly failed: Readonly<Record<string, string>>;
}

/** The report on `assigned` given the node's readiness: Failed with its reason, Loading, or Loaded. */
export function reportFrom(assigned: readonly AssignedFunction[], r: NodeReadiness | undefined): NodeReport {
  const out: Record<string, FunctionReport> = {};
  for (const f of assigned) {
    const key = `${f.namespace}/${f.name}`;
    const reason = r?.failed[key];
    if (reason !== undefined) out[key] = { digest: f.digest, state: 'Failed', reason, message: `node runtime refused ${f.ref}: ${reason}` };
    else out[key] = { digest: f.digest, state: r?.applied === true && r.loading === 0 ? 'Loaded' : 'Loading' };
  }
  return out;
}

export interface Pool {
  readonly namespace: string;
  readonly name: string;
}

export interface Membership {
  stop(): Promise<void>;
}

/** Joins every pool with one agent each (Lease `flotilla-node-<node>-<pool>`), reporting from `nodeUrl`/readyz every second. */
export async function joinPools(kc: KubeConfig, node: string, nodeUrl: string, pools: readonly Pool[], labels: Readonly<Record<string, string>>): Promise<Membership> {
  const client = createKubeClient(kc);
  const log = pino({ level: 'silent' });
  const agents: { agent: NodeAgent; assigned: AssignedFunction[] }[] = [];
  for (const pool of pools) {
    const entry = { agent: new NodeAgent({ client, clock: systemClock, log, namespace: pool.namespace, runtime: pool.name, node: `${node}-${pool.name}`, holder: `${node}-${process.pid}`, labels, version: '0.1.0', endpoint: nodeUrl, capacity: { functions: 50 } }), assigned: [] as AssignedFunction[] };
    await entry.agent.start((a) => {
      entry.assigned = [...a.functions];
    });
    agents.push(entry);
  }
  let stopped = false;
  const tick = async (): Promise<void> => {
    let readiness: NodeReadiness | undefined;
    try {
      const res = await fetch(`${nodeUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      readiness = (await res.json()) as NodeReadiness;
    } catch {
      readiness = undefined;
    }
    for (const a of agents) a.agent.setReport(reportFrom(a.assigned, readiness));
  };
  const timer = setInterval(() => void tick(), 1000);
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await Promise.all(agents.map((a) => a.agent.stop()));
    },
  };
}
