import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, harness, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';
import { createKubeClient, LeaderElector, LEASE_TYPE, resourcePath, systemClock } from '../../../kube/index.ts';
import type { KubeClient, Lease } from '../../../kube/index.ts';
import { client, cuttableProxy, kubeConfigVia, quietLog, check } from './support.ts';

const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 };

interface Replica {
  readonly name: string;
  readonly elector: LeaderElector;
  /** True between onStartedLeading and onStoppedLeading: the replica is acting. */
  acting: boolean;
}

function replica(api: KubeClient, namespace: string, name: string): Replica {
  const r: Replica = { name, elector: new LeaderElector({ client: api, clock: systemClock, log: quietLog }, { namespace, name: 'operator', identity: name, ...TIMING }), acting: false };
  r.elector.start({
    onStartedLeading: () => {
      r.acting = true;
    },
    onStoppedLeading: () => {
      r.acting = false;
    },
  });
  return r;
}

/** Samples the replicas every 20 ms and remembers whether two ever acted at once. */
function watchOverlap(replicas: readonly Replica[]) {
  let overlap = false;
  const timer = setInterval(() => {
    if (replicas.filter((r) => r.acting).length > 1) overlap = true;
  }, 20);
  return { stop: () => clearInterval(timer), get overlap() { return overlap; } };
}

describe('leader election on a real Lease', () => {
  let ns: TestNamespace;
  const api = client();
  beforeAll(async () => {
    ns = await createTestNamespace('leader');
  });
  afterAll(() => ns.delete());

  it('one of two replicas leads; a graceful stop hands over at once', async () => {
    const a = replica(api, ns.name, 'replica-a');
    const b = replica(api, ns.name, 'replica-b');
    const overlap = watchOverlap([a, b]);
    try {
      const leader = await waitFor(check(() => [a, b].find((r) => r.acting)), { what: 'a leader', timeoutMs: 10_000, intervalMs: 20 });
      const standby = leader === a ? b : a;
      await new Promise((r) => setTimeout(r, TIMING.leaseDurationMs)); // a full lease period: the standby keeps waiting
      expect(standby.acting).toBe(false);
      const lease = await api.request<Lease>({ method: 'GET', path: resourcePath(LEASE_TYPE, { namespace: ns.name, name: 'operator' }) });
      expect(lease.spec?.holderIdentity).toBe(leader.name);

      const handover = Date.now();
      await leader.elector.stop(); // releases the Lease
      await waitFor(check(() => (standby.acting ? true : undefined)), { what: 'the standby to take over', timeoutMs: 5_000, intervalMs: 20 });
      // Released, not expired: the standby needs one retry period, not a lease duration.
      expect(Date.now() - handover).toBeLessThan(TIMING.leaseDurationMs);
      expect(overlap.overlap).toBe(false);
    } finally {
      overlap.stop();
      await a.elector.stop();
      await b.elector.stop();
    }
  });

  it('a partitioned leader steps down before the other takes over', async () => {
    const proxy = await cuttableProxy(harness().kube.server);
    const a = replica(createKubeClient(kubeConfigVia(proxy.url)), ns.name, 'partitioned-a');
    await waitFor(check(() => (a.acting ? true : undefined)), { what: 'a to lead', timeoutMs: 10_000, intervalMs: 20 });
    const b = replica(api, ns.name, 'healthy-b');
    const overlap = watchOverlap([a, b]);
    try {
      proxy.cut(); // a can no longer renew, and does not know whether anyone else can
      const cutAt = Date.now();
      await waitFor(check(() => (b.acting ? true : undefined)), { what: 'b to take over', timeoutMs: 15_000, intervalMs: 20 });
      expect(a.acting).toBe(false);
      expect(Date.now() - cutAt).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - 500); // waited out the lease
      expect(overlap.overlap).toBe(false);
    } finally {
      overlap.stop();
      await b.elector.stop();
      await a.elector.stop();
      await proxy.close();
    }
  });
});
