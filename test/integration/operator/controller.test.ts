import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';
import {
  apply,
  awaitChange,
  Controller,
  controllerRef,
  createControllerMetrics,
  FIELD_MANAGER,
  Informer,
  requeueAfter,
  resourcePath,
  systemClock,
} from '../../../kube/index.ts';
import type { Action, KubeObject, ResourceType } from '../../../kube/index.ts';
import { client, quietLog, check } from './support.ts';

const CONFIG_MAP: ResourceType = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
type ConfigMap = KubeObject & { data?: Record<string, string> };

describe('Controller against the real apiserver', () => {
  let ns: TestNamespace;
  const api = client();
  beforeAll(async () => {
    ns = await createTestNamespace('controller');
  });
  afterAll(() => ns.delete());

  it('never reconciles a key twice at once, ends on the latest state, and retries failures with backoff', async () => {
    const informer = new Informer<ConfigMap>({ client: api, clock: systemClock, log: quietLog }, { type: CONFIG_MAP, namespace: ns.name, labelSelector: 'role=parent' });
    const metrics = createControllerMetrics();
    const inFlight = new Map<string, number>();
    let maxInFlightPerKey = 0;
    let maxInFlightTotal = 0;
    const failuresLeft = new Map<string, number>([[`${ns.name}/flaky`, 2]]);
    const reconcile = async (cm: ConfigMap): Promise<Action> => {
      const key = `${cm.metadata.namespace}/${cm.metadata.name}`;
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      maxInFlightPerKey = Math.max(maxInFlightPerKey, inFlight.get(key) ?? 0);
      maxInFlightTotal = Math.max(maxInFlightTotal, [...inFlight.values()].reduce((a, b) => a + b, 0));
      try {
        await new Promise((r) => setTimeout(r, 100)); // slow, so updates pile up while we work
        const left = failuresLeft.get(key) ?? 0;
        if (left > 0) {
          failuresLeft.set(key, left - 1);
          throw Object.assign(new Error('transient'), { code: 'Flaky' });
        }
        // Level-based: the child mirrors whatever the parent says now.
        await apply(api, CONFIG_MAP, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `${cm.metadata.name}-child`, namespace: cm.metadata.namespace, labels: { role: 'child' }, ownerReferences: [controllerRef(CONFIG_MAP, cm)] },
          data: { mirrored: cm.data?.['v'] ?? '' },
        });
        return awaitChange();
      } finally {
        inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
      }
    };
    const controller = new Controller<ConfigMap, undefined>(
      { name: 'mirror', informer, reconcile, errorPolicy: (_err, _obj, _ctx, failures) => requeueAfter(20 * 2 ** (failures - 1)), concurrency: 2 },
      undefined,
      { clock: systemClock, log: quietLog, metrics },
    );
    informer.start();
    await informer.waitForSync();
    controller.start();
    try {
      const path = resourcePath(CONFIG_MAP, { namespace: ns.name });
      await api.request({ method: 'POST', path, body: { metadata: { name: 'busy', labels: { role: 'parent' } }, data: { v: '0' } } });
      await api.request({ method: 'POST', path, body: { metadata: { name: 'flaky', labels: { role: 'parent' } }, data: { v: 'ok' } } });
      for (let i = 1; i <= 10; i++) {
        await api.request({ method: 'PATCH', path: resourcePath(CONFIG_MAP, { namespace: ns.name, name: 'busy' }), body: { data: { v: String(i) } }, contentType: 'application/merge-patch+json' });
      }
      const child = (name: string) => api.request<ConfigMap>({ method: 'GET', path: resourcePath(CONFIG_MAP, { namespace: ns.name, name: `${name}-child` }) });
      await waitFor(async () => ((await child('busy')).data?.['mirrored'] === '10' ? true : undefined), { what: 'busy-child to mirror v=10', timeoutMs: 20_000 });
      await waitFor(async () => ((await child('flaky')).data?.['mirrored'] === 'ok' ? true : undefined), { what: 'flaky-child after two failures', timeoutMs: 20_000 });
      expect(maxInFlightPerKey).toBe(1);
      expect(maxInFlightTotal).toBeLessThanOrEqual(2);
      const errors = await metrics.reconcileErrors.get();
      expect(errors.values.find((v) => v.labels['reason'] === 'Flaky')?.value).toBe(2);
      // 11 versions of busy were written; dedup means far fewer reconciles than events.
      const total = (await metrics.reconcileTotal.get()).values.reduce((s, v) => s + v.value, 0);
      expect(total).toBeLessThan(16);
      const stored = await child('busy');
      expect(stored.metadata.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply')).toBe(true);
      expect(stored.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ConfigMap', name: 'busy', controller: true });
    } finally {
      await controller.stop();
      await informer.stop();
    }
  });

  it('stop() waits for in-flight reconciles and takes no new keys', async () => {
    const informer = new Informer<ConfigMap>({ client: api, clock: systemClock, log: quietLog }, { type: CONFIG_MAP, namespace: ns.name, labelSelector: 'role=slow' });
    let finished = 0;
    let started = 0;
    const controller = new Controller<ConfigMap, undefined>(
      {
        name: 'slow',
        informer,
        reconcile: async () => {
          started++;
          await new Promise((r) => setTimeout(r, 500));
          finished++;
          return awaitChange();
        },
        errorPolicy: () => awaitChange(),
        concurrency: 1,
      },
      undefined,
      { clock: systemClock, log: quietLog, metrics: createControllerMetrics() },
    );
    const path = resourcePath(CONFIG_MAP, { namespace: ns.name });
    await api.request({ method: 'POST', path, body: { metadata: { name: 's1', labels: { role: 'slow' } } } });
    await api.request({ method: 'POST', path, body: { metadata: { name: 's2', labels: { role: 'slow' } } } });
    informer.start();
    await informer.waitForSync();
    controller.start();
    await waitFor(check(() => (started === 1 ? true : undefined)), { what: 'first reconcile to start', timeoutMs: 5_000, intervalMs: 10 });
    await controller.stop();
    expect(finished).toBe(1); // the in-flight one drained
    expect(started).toBe(1); // the queued one was not started
    await informer.stop();
  });
});
