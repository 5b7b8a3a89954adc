/**
 * Tick claims on the Kubernetes API: one coordination.k8s.io Lease per schedule (in the trigger's
 * namespace, named `flotilla-cron-<trigger>`), whose annotation holds the last claimed tick. A node
 * claims a tick by replacing the Lease with the new tick and itself as holder; the replace carries
 * the resourceVersion it read, so when two nodes race the API server accepts exactly one (409 for
 * the other). The node runtime needs get/create/update on leases in the functions' namespaces.
 * The Lease's acquire/renew times stay unset: the tick annotation says when.
 */
import { KubeApiError, LEASE_TYPE, resourcePath } from '../../../kube/index.ts';
import type { KubeClient, Lease } from '../../../kube/index.ts';
import type { TickClaims } from './claims.ts';

export const LAST_TICK_ANNOTATION = 'flotilla.dev/last-tick';

const isCode = (err: unknown, ...codes: string[]): boolean => err instanceof KubeApiError && codes.includes(err.code);

/** The Lease of a trigger "ns/name". */
export function leaseRef(triggerKey: string): { namespace: string; name: string } {
  const [namespace = 'default', name = ''] = triggerKey.split('/');
  return { namespace, name: `flotilla-cron-${name}`.slice(0, 253) };
}

export class LeaseTickClaims implements TickClaims {
  private readonly client: KubeClient;

  constructor(client: KubeClient) {
    this.client = client;
  }

  async claim(triggerKey: string, tickMs: number, nodeName: string): Promise<boolean> {
    const { namespace, name } = leaseRef(triggerKey);
    const lease = await this.read(namespace, name);
    if (!lease) {
      try {
        const body: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace, annotations: { [LAST_TICK_ANNOTATION]: String(tickMs) } }, spec: { holderIdentity: nodeName } };
        await this.client.request({ method: 'POST', path: resourcePath(LEASE_TYPE, { namespace }), body });
        return true;
      } catch (err) {
        if (!isCode(err, 'AlreadyExists', 'Conflict')) throw err;
        // Another node created it first, for this tick or an earlier one: claim against its version.
        return this.claim(triggerKey, tickMs, nodeName);
      }
    }
    const last = Number(lease.metadata.annotations?.[LAST_TICK_ANNOTATION] ?? -1);
    if (last >= tickMs) return false;
    // The replace carries the resourceVersion read above: of two racing nodes exactly one wins.
    const body: Lease = {
      ...lease,
      metadata: { ...lease.metadata, annotations: { ...lease.metadata.annotations, [LAST_TICK_ANNOTATION]: String(tickMs) } },
      spec: { holderIdentity: nodeName },
    };
    try {
      await this.client.request({ method: 'PUT', path: resourcePath(LEASE_TYPE, { namespace, name }), body });
      return true;
    } catch (err) {
      if (isCode(err, 'Conflict')) return false;
      throw err;
    }
  }

  async lastFired(triggerKey: string): Promise<number | undefined> {
    const { namespace, name } = leaseRef(triggerKey);
    const v = (await this.read(namespace, name))?.metadata.annotations?.[LAST_TICK_ANNOTATION];
    return v === undefined ? undefined : Number(v);
  }

  private async read(namespace: string, name: string): Promise<Lease | undefined> {
    try {
      return await this.client.request<Lease>({ method: 'GET', path: resourcePath(LEASE_TYPE, { namespace, name }) });
    } catch (err) {
      if (isCode(err, 'NotFound')) return undefined;
      throw err;
    }
  }
}
