import { nodeObjectName } from '../../../api/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { resourcePath } from '../../../kube/index.ts';
import { waitFor } from '../../harness/index.ts';
import { condition, fnSpec, operatorWorld } from './fixture.ts';
import type { OperatorWorld } from './fixture.ts';

/** Pools over time: nodes failing, leaving for good, load rising, a new runtime version. */
describe('pool dynamics', () => {
  let w: OperatorWorld;
  beforeAll(async () => {
    w = await operatorWorld('pools', { nodeForgetAfterMs: 3000 });
    await w.addNode('node-a');
  });
  afterAll(() => w?.close());

  it('a node silent for longer than nodeForgetAfterMs is forgotten: Lease and assignment deleted, pool Ready again', async () => {
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'transient' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' } } });
    const stays = await w.addNode('node-stays', { runtime: 'transient' });
    const goes = await w.addNode('node-goes', { runtime: 'transient' });
    await waitFor(async () => ((await w.get(WASM_RUNTIME_TYPE, 'transient')).status?.readyNodes === 2 ? true : undefined), { what: 'two ready nodes', timeoutMs: 15_000 });
    goes.kill();
    await w.waitCondition(WASM_RUNTIME_TYPE, 'transient', 'Ready', { status: 'False', reason: 'NodesNotReady' });
    const rt = await waitFor(
      async () => {
        const r = await w.get(WASM_RUNTIME_TYPE, 'transient');
        return r.status?.desiredNodes === 1 && condition(r, 'Ready')?.status === 'True' ? r : undefined;
      },
      { what: 'node-goes forgotten', timeoutMs: 20_000 },
    );
    expect(rt.status?.readyNodes).toBe(1);
    await expect(w.api.request({ method: 'GET', path: `/apis/coordination.k8s.io/v1/namespaces/${w.ns.name}/leases/${nodeObjectName('transient', 'node-goes')}` })).rejects.toMatchObject({ code: 'NotFound' });
    expect(stays.alive).toBe(true);
  });

  it('autoscales between minInstances and maxInstances on the load nodes report', async () => {
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'busy' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' } } });
    for (const n of ['busy-1', 'busy-2', 'busy-3', 'busy-4']) {
      await w.addNode(n, { runtime: 'busy', reportFor: (f) => ({ digest: f.digest, state: 'Loaded', inFlight: 12 }) });
    }
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'popular' }, spec: { ...fnSpec(await w.pushModule('popular'), 1, 'busy'), scaling: { minInstances: 1, maxInstances: 3, targetConcurrency: 8 } } });
    // 12 in flight per instance against a target of 8: one instance becomes two, two become three, capped at maxInstances.
    const fn = await waitFor(
      async () => {
        const f = await w.get(WASM_FUNCTION_TYPE, 'popular');
        return f.status?.nodes?.length === 3 && condition(f, 'Ready')?.status === 'True' ? f : undefined;
      },
      { what: 'popular on three nodes', timeoutMs: 20_000 },
    );
    expect((fn.status as { desiredInstances?: number }).desiredInstances).toBe(3);
  });

  it('a function that keeps failing on a node is Degraded with the node and reason', async () => {
    await w.create(WASM_RUNTIME_TYPE, { metadata: { name: 'flaky' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' } } });
    await w.addNode('node-flaky', { runtime: 'flaky', reportFor: (f) => ({ digest: f.digest, state: 'Failed', reason: 'CompileFailed', message: 'invalid section id', failures: 5 }) });
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'crashy' }, spec: fnSpec(await w.pushModule('crashy'), 1, 'flaky') });
    const fn = await w.waitCondition(WASM_FUNCTION_TYPE, 'crashy', 'Degraded', { status: 'True', reason: 'InstancesFailing' });
    expect(condition(fn, 'Degraded')?.message).toBe('node-flaky: CompileFailed invalid section id');
    expect(condition(fn, 'Ready')).toMatchObject({ status: 'False', reason: 'InstancesFailing' });
  });

  it('a new runtime version rolls the DaemonSet and shows Progressing until nodes run it', async () => {
    await w.waitCondition(WASM_RUNTIME_TYPE, 'edge', 'Ready', { status: 'True' });
    await w.api.request({ method: 'PATCH', path: resourcePath(WASM_RUNTIME_TYPE, { namespace: w.ns.name, name: 'edge' }), body: { spec: { version: '0.2.0' } }, contentType: 'application/merge-patch+json' });
    const rt = await w.waitCondition(WASM_RUNTIME_TYPE, 'edge', 'Progressing', { status: 'True', reason: 'RolloutInProgress' });
    expect(condition(rt, 'Progressing')?.message).toContain('node-a (0.1.0)');
    const ds = await w.api.request<{ spec: { template: { spec: { containers: { image: string }[] } } } }>({ method: 'GET', path: `/apis/apps/v1/namespaces/${w.ns.name}/daemonsets/flotilla-node-edge` });
    expect(ds.spec.template.spec.containers[0]?.image).toBe('flotilla/node-runtime:0.2.0');
  });
});
