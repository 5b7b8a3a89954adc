/**
 * The one Lease shape every Flotilla component reads and writes (coordination.k8s.io/v1): leader
 * election, node heartbeats and cron tick claims all go through it and the KubeClient.
 */
import type { KubeObject } from './resource.ts';
import type { ResourceType } from './resource.ts';

export const LEASE_TYPE: ResourceType = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true };

/** The Lease spec fields Flotilla uses. Times are MicroTime strings (RFC 3339 with microseconds). */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}
