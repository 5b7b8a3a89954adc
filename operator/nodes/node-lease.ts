import { ANNOTATIONS, parseNodeLease } from '../../api/index.ts';
import type { NodeLease, RegisteredNode } from '../../api/index.ts';

/** Delay until the next ready node expires, so a reconcile looks again exactly when a heartbeat is missed. */
export function nextExpiry(nodes: readonly RegisteredNode[], nowMs: number): number | undefined {
  const pending = nodes.filter((n) => n.ready).map((n) => n.expiresAtMs - nowMs);
  return pending.length === 0 ? undefined : Math.max(0, Math.min(...pending)) + 50;
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

/**
 * Whether a Lease update changes what other nodes of the pool forward to: its serving endpoint
 * changed, or the node came back or left (remote functions' endpoints are those of ready nodes).
 */
export function endpointChangeMatters(lease: NodeLease, old: NodeLease | undefined, nowMs: number): boolean {
  if (!old) return true;
  if (lease.metadata.annotations?.[ANNOTATIONS.endpoint] !== old.metadata.annotations?.[ANNOTATIONS.endpoint]) return true;
  return parseNodeLease(lease, nowMs).ready !== parseNodeLease(old, nowMs).ready;
}
