import { microTime } from '../runtime/events.ts';
import type { Lease } from '../runtime/index.ts';
import { ANNOTATIONS, NODE_LABEL, RUNTIME_LABEL, nodeObjectName } from './contract.ts';
import type { NodeCapacity, NodeReport } from './contract.ts';

/** A node runtime as the operator sees it through its Lease. */
export interface RegisteredNode {
  readonly name: string;
  readonly namespace: string;
  readonly runtime: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly capacity: NodeCapacity;
  readonly version?: string;
  readonly endpoint?: string;
  readonly report: NodeReport;
  /** When the Lease runs out unless renewed (ms since epoch); 0 when never renewed. */
  readonly expiresAtMs: number;
  /** Lease not expired at the time of parsing. */
  readonly ready: boolean;
  /** What was wrong with the annotations, if anything (the node is then not ready). */
  readonly problem?: string;
}

/** A node Lease as the operator reads it (labels and annotations on top of the Lease fields). */
export type NodeLease = Lease & { metadata: Lease['metadata'] & { labels?: Record<string, string>; annotations?: Record<string, string>; uid?: string } };

/** Capacity of a node that does not say: enough for a small edge box. */
const DEFAULT_CAPACITY: NodeCapacity = { functions: 100 };

function parseJson<T>(text: string | undefined, fallback: T, what: string, problems: string[]): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    problems.push(`annotation ${what} is not JSON`);
    return fallback;
  }
}

/**
 * Reads a node Lease. A node is ready while its Lease is unexpired by its own renewTime: this
 * assumes node and operator clocks agree within a fraction of the lease duration (NTP at the edge).
 */
export function parseNodeLease(lease: NodeLease, nowMs: number): RegisteredNode {
  const labels = lease.metadata.labels ?? {};
  const annotations = lease.metadata.annotations ?? {};
  const problems: string[] = [];
  const nodeLabels = parseJson<Record<string, string>>(annotations[ANNOTATIONS.nodeLabels], {}, ANNOTATIONS.nodeLabels, problems);
  const capacity = parseJson<NodeCapacity>(annotations[ANNOTATIONS.capacity], DEFAULT_CAPACITY, ANNOTATIONS.capacity, problems);
  const report = parseJson<NodeReport>(annotations[ANNOTATIONS.report], {}, ANNOTATIONS.report, problems);
  if (!Number.isInteger(capacity.functions) || capacity.functions < 0) problems.push(`capacity.functions must be an integer >= 0, got ${JSON.stringify(capacity.functions)}`);
  const renew = Date.parse(lease.spec?.renewTime ?? '');
  const expiresAtMs = Number.isNaN(renew) || !lease.spec?.holderIdentity ? 0 : renew + (lease.spec.leaseDurationSeconds ?? 0) * 1000;
  return {
    name: labels[NODE_LABEL] ?? lease.metadata.name,
    namespace: lease.metadata.namespace,
    runtime: labels[RUNTIME_LABEL] ?? '',
    labels: nodeLabels,
    capacity: problems.length === 0 ? capacity : { functions: 0 },
    version: annotations[ANNOTATIONS.version],
    endpoint: annotations[ANNOTATIONS.endpoint],
    report,
    expiresAtMs,
    ready: problems.length === 0 && expiresAtMs > nowMs,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}

/** Delay until the next ready node expires, so a reconcile looks again exactly when a heartbeat is missed. */
export function nextExpiry(nodes: readonly RegisteredNode[], nowMs: number): number | undefined {
  const pending = nodes.filter((n) => n.ready).map((n) => n.expiresAtMs - nowMs);
  return pending.length === 0 ? undefined : Math.max(0, Math.min(...pending)) + 50;
}

/** What a node runtime puts in its Lease on each heartbeat. */
export interface NodeHeartbeat {
  readonly namespace: string;
  readonly runtime: string;
  readonly node: string;
  /** The process holding the Lease (pod name, or host + pid). */
  readonly holder: string;
  readonly leaseDurationSeconds: number;
  readonly nowMs: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly capacity?: NodeCapacity;
  readonly version?: string;
  readonly endpoint?: string;
  readonly report?: NodeReport;
}

/** The Lease a node runtime applies on each heartbeat (the inverse of parseNodeLease). */
export function nodeLease(hb: NodeHeartbeat): NodeLease {
  const annotations: Record<string, string> = {
    [ANNOTATIONS.nodeLabels]: JSON.stringify(hb.labels ?? {}),
    [ANNOTATIONS.capacity]: JSON.stringify(hb.capacity ?? DEFAULT_CAPACITY),
    [ANNOTATIONS.report]: JSON.stringify(hb.report ?? {}),
  };
  if (hb.version !== undefined) annotations[ANNOTATIONS.version] = hb.version;
  if (hb.endpoint !== undefined) annotations[ANNOTATIONS.endpoint] = hb.endpoint;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeObjectName(hb.node), namespace: hb.namespace, labels: { [RUNTIME_LABEL]: hb.runtime, [NODE_LABEL]: hb.node }, annotations },
    spec: { holderIdentity: hb.holder, leaseDurationSeconds: hb.leaseDurationSeconds, renewTime: microTime(hb.nowMs) },
  };
}

/**
 * Whether a Lease update can change what controllers compute: a new node, a different report,
 * capacity, labels, version or holder, or a node coming back after its Lease had expired. A plain
 * renewal is not (expiry is handled by each reconcile's requeue at the next expiry).
 */
export function leaseChangeMatters(lease: NodeLease, old: NodeLease | undefined, nowMs: number): boolean {
  if (!old) return true;
  if (JSON.stringify(lease.metadata.annotations ?? {}) !== JSON.stringify(old.metadata.annotations ?? {})) return true;
  if (JSON.stringify(lease.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {})) return true;
  if (lease.spec?.holderIdentity !== old.spec?.holderIdentity) return true;
  return parseNodeLease(lease, nowMs).ready !== parseNodeLease(old, nowMs).ready;
}
