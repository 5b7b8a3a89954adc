/**
 * Tick claims on the Kubernetes API: one coordination.k8s.io Lease per schedule (in the trigger's
 * namespace, named `flotilla-cron-<trigger>`), whose annotation holds the last claimed tick. A node
 * claims a tick by replacing the Lease with the new tick and itself as holder; the replace carries
 * the resourceVersion it read, so when two nodes race the API server accepts exactly one (409 for
 * the other). The node runtime needs get/create/update on leases in the functions' namespaces.
 * The Lease's acquire/renew times stay unset: @kubernetes/client-node serializes a MicroTime with
 * millisecond precision, which the API server rejects; the tick annotation says when anyway.
 */
import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { TickClaims } from './claims.ts';

export const LAST_TICK_ANNOTATION = 'flotilla.dev/last-tick';

const status = (err: unknown): number | undefined => (err instanceof ApiException ? (err as ApiException<unknown>).code : undefined);

/** The Lease of a trigger "ns/name". */
export function leaseRef(triggerKey: string): { namespace: string; name: string } {
  const [namespace = 'default', name = ''] = triggerKey.split('/');
  return { namespace, name: `flotilla-cron-${name}`.slice(0, 253) };
}

export class LeaseTickClaims implements TickClaims {
  private readonly api: CoordinationV1Api;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  async claim(triggerKey: string, tickMs: number, nodeName: string): Promise<boolean> {
    const { namespace, name } = leaseRef(triggerKey);
    const lease = await this.read(namespace, name);
    if (!lease) {
      try {
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace, annotations: { [LAST_TICK_ANNOTATION]: String(tickMs) } }, spec: { holderIdentity: nodeName } } });
        return true;
      } catch (err) {
        if (status(err) !== 409) throw err;
        // Another node created it first, for this tick or an earlier one: claim against its version.
        return this.claim(triggerKey, tickMs, nodeName);
      }
    }
    const last = Number(lease.metadata?.annotations?.[LAST_TICK_ANNOTATION] ?? -1);
    if (last >= tickMs) return false;
    const body: V1Lease = {
      ...lease,
      metadata: { ...lease.metadata, annotations: { ...lease.metadata?.annotations, [LAST_TICK_ANNOTATION]: String(tickMs) } },
      spec: { holderIdentity: nodeName },
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body });
      return true;
    } catch (err) {
      if (status(err) === 409) return false;
      throw err;
    }
  }

  async lastFired(triggerKey: string): Promise<number | undefined> {
    const { namespace, name } = leaseRef(triggerKey);
    const v = (await this.read(namespace, name))?.metadata?.annotations?.[LAST_TICK_ANNOTATION];
    return v === undefined ? undefined : Number(v);
  }

  private async read(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }
}
