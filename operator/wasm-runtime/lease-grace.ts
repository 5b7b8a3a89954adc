import type { RegisteredNode } from '../../api/index.ts';

/** How well the operator hears node Leases: the Lease informer's blind spells (kube/ Informer). */
export interface LeaseHearing {
  /** The watch is failing now: the cache may be stale. */
  readonly blind: boolean;
  /** Start of the current or last blind spell (ms since epoch); undefined when there was none. */
  readonly blindSinceMs: number | undefined;
  /** End of the last blind spell; undefined while blind or when there was none. */
  readonly recoveredAtMs: number | undefined;
}

/**
 * A node's readiness as the operator may judge it. A held Lease that ran out during a blind spell
 * (the watch failing: API server down, a partition) does not count as expired until the node had a
 * whole lease duration after the spell to renew it. Without this, an API server outage longer than
 * a lease makes the operator evict every node the moment it reconnects, before the nodes' first
 * heartbeat gets through, and the nodes drop what they serve. A Lease that expired before the spell
 * (a node already known dead), a released Lease (no holder) and a malformed one get no grace, and
 * an operator that just started has had no spell: it judges Leases as they are.
 */
export function withHearingGrace(node: RegisteredNode, leaseDurationMs: number, hearing: LeaseHearing, nowMs: number): RegisteredNode {
  if (node.problem !== undefined || node.expiresAtMs === 0 || hearing.blindSinceMs === undefined || node.expiresAtMs < hearing.blindSinceMs) return node;
  const graceUntil = (hearing.blind ? nowMs : (hearing.recoveredAtMs ?? nowMs)) + leaseDurationMs;
  const expiresAtMs = Math.max(node.expiresAtMs, graceUntil);
  return { ...node, expiresAtMs, ready: expiresAtMs > nowMs };
}
