import type { RegisteredNode } from '../../api/index.ts';

/** How well the operator hears node Leases: the Lease informer's view (operator/runtime Informer). */
export interface LeaseHearing {
  /** The watch is failing now: the cache may be stale. */
  readonly blind: boolean;
  /** When it last came back (or first listed), ms since epoch. */
  readonly recoveredAtMs: number;
}

/**
 * A node's readiness as the operator may judge it: a held Lease counts as expired only once the
 * operator could have heard a renewal for a whole lease duration. While the watch is failing (API
 * server down, a partition) no held Lease expires; after it recovers, every node gets one duration
 * to renew. Without this, an API server outage longer than a lease makes the operator evict every
 * node the moment it reconnects, before the nodes' first heartbeat gets through, and the nodes drop
 * what they serve. A released Lease (no holder) or a malformed one is not given any grace.
 */
export function withHearingGrace(node: RegisteredNode, leaseDurationMs: number, hearing: LeaseHearing, nowMs: number): RegisteredNode {
  if (node.problem !== undefined || node.expiresAtMs === 0) return node;
  const graceUntil = hearing.blind ? nowMs + leaseDurationMs : hearing.recoveredAtMs + leaseDurationMs;
  const expiresAtMs = Math.max(node.expiresAtMs, graceUntil);
  return { ...node, expiresAtMs, ready: expiresAtMs > nowMs };
}
