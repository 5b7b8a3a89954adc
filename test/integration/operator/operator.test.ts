import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_ROUTE_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { nodeObjectName } from '../../../api/index.ts';
import type { NodeAssignment } from '../../../api/index.ts';
import { EVENT_TYPE, resourcePath } from '../../../kube/index.ts';
import type { KubeObject } from '../../../kube/index.ts';
import { waitFor } from '../../harness/index.ts';
import { condition, fnSpec, operatorWorld } from './fixture.ts';
import type { OperatorWorld } from './fixture.ts';
import { check } from './support.ts';

describe('operator reconcilers against the real apiserver and registry', () => {
  let w: OperatorWorld;
  let signedRef = '';
  let unsignedRef = '';
  let signedRef2 = '';

  beforeAll(async () => {
    w = await operatorWorld('operator');
    signedRef = await w.pushModule('signed');
    unsignedRef = await w.pushModule('unsigned', null);
    signedRef2 = await w.pushModule('signed2');
    for (const n of ['node-a', 'node-b', 'node-c']) await w.addNode(n);
  });
  afterAll(() => w?.close());

  it('WasmRuntime: applies the node runtime DaemonSet and counts registered nodes', async () => {
    const rt = await waitFor(
      async () => {
        const r = await w.get(WASM_RUNTIME_TYPE, 'edge');
        return r.status?.readyNodes === 3 ? r : undefined;
      },
      { what: 'three ready nodes', timeoutMs: 15_000 },
    );
    expect(rt.status?.desiredNodes).toBe(3);
    expect(condition(rt, 'Ready')).toMatchObject({ status: 'True', reason: 'AllNodesReady', message: '3/3 nodes ready' });
    const ds = await w.api.request<{ spec: { template: { spec: { containers: { image: string }[] } } }; metadata: KubeObject['metadata'] }>({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/${w.ns.name}/daemonsets/flotilla-node-edge`,
    });
    expect(ds.spec.template.spec.containers[0]?.image).toBe('flotilla/node-runtime:0.1.0');
    expect(ds.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'WasmRuntime', name: 'edge', controller: true });
  });

  it('WasmFunction: verifies, places on two nodes, and is Ready once they report it loaded', async () => {
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'hello' }, spec: fnSpec(signedRef) });
    const fn = await w.waitCondition(WASM_FUNCTION_TYPE, 'hello', 'Ready', { status: 'True', reason: 'AllInstancesReady' });
    expect(condition(fn, 'SignatureVerified')).toMatchObject({ status: 'True', reason: 'Verified', observedGeneration: fn.metadata.generation });
    expect(fn.status?.nodes).toHaveLength(2);
    expect(fn.status?.readyInstances).toBe(2);
    expect(fn.status?.resolvedDigest).toBe(signedRef.split('@')[1]);
    const assigned = w.nodes.filter((n) => n.assignment()?.functions.some((f) => f.name === 'hello')).map((n) => n.name).sort();
    expect(assigned).toEqual(fn.status?.nodes);
  });

  it('an unsigned module is SignatureVerified=False NoSignature, with an Event, and never assigned', async () => {
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'unsigned' }, spec: fnSpec(unsignedRef) });
    const fn = await w.waitCondition(WASM_FUNCTION_TYPE, 'unsigned', 'SignatureVerified', { status: 'False', reason: 'NoSignature' });
    expect(condition(fn, 'Ready')).toMatchObject({ status: 'False', reason: 'NoSignature' });
    expect(fn.status?.nodes ?? []).toEqual([]);
    await waitFor(
      async () => {
        const events = await w.api.request<{ items: { reason: string; type: string; regarding: { name: string } }[] }>({ method: 'GET', path: resourcePath(EVENT_TYPE, { namespace: w.ns.name }) });
        return events.items.some((e) => e.regarding.name === 'unsigned' && e.reason === 'NoSignature' && e.type === 'Warning') ? true : undefined;
      },
      { what: 'a NoSignature Warning Event', timeoutMs: 10_000 },
    );
    expect(w.nodes.some((n) => n.assignment()?.functions.some((f) => f.name === 'unsigned'))).toBe(false);
  });

  it('a missing runtime is a condition that says what to fix', async () => {
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'orphan' }, spec: fnSpec(signedRef, 1, 'nowhere') });
    const fn = await w.waitCondition(WASM_FUNCTION_TYPE, 'orphan', 'Ready', { status: 'False', reason: 'RuntimeNotFound' });
    expect(condition(fn, 'Ready')?.message).toMatch(/WasmRuntime .*\/nowhere not found: create it/);
  });

  it('a node that stops heartbeating loses its functions to a healthy node within the lease period', async () => {
    const before = await w.get(WASM_FUNCTION_TYPE, 'hello');
    const victimName = before.status?.nodes?.[0] ?? '';
    const victim = w.nodes.find((n) => n.name === victimName);
    victim?.kill();
    const killedAt = Date.now();
    const moved = await waitFor(
      async () => {
        const fn = await w.get(WASM_FUNCTION_TYPE, 'hello');
        const placed = fn.status?.nodes ?? [];
        return placed.length === 2 && !placed.includes(victimName) && condition(fn, 'Ready')?.status === 'True' ? fn : undefined;
      },
      { what: `hello to move off ${victimName}`, timeoutMs: 20_000 },
    );
    // Lease of 2 s plus a heartbeat and a reconcile: well under 10 s.
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(moved.status?.nodes).not.toContain(victimName);
    await waitFor(
      async () => {
        const events = await w.api.request<{ items: { note: string; regarding: { name: string } }[] }>({ method: 'GET', path: resourcePath(EVENT_TYPE, { namespace: w.ns.name }) });
        return events.items.some((e) => e.regarding.name === 'hello' && e.note.includes(`removed from ${victimName} (lease expired)`)) ? true : undefined;
      },
      { what: 'an Event saying why hello moved', timeoutMs: 10_000 },
    );
    await w.waitCondition(WASM_RUNTIME_TYPE, 'edge', 'Ready', { status: 'False', reason: 'NodesNotReady' });
  });

  it('two routes claiming the same host and path: the second gets RouteConflict', async () => {
    const spec = { host: 'hello.example.com', pathPrefix: '/', backends: [{ functionRef: 'hello', weight: 100 }] };
    await w.create(FUNCTION_ROUTE_TYPE, { metadata: { name: 'first' }, spec });
    await w.waitCondition(FUNCTION_ROUTE_TYPE, 'first', 'Ready', { status: 'True' });
    await w.create(FUNCTION_ROUTE_TYPE, { metadata: { name: 'second' }, spec });
    const second = await w.waitCondition(FUNCTION_ROUTE_TYPE, 'second', 'Ready', { status: 'False', reason: 'RouteConflict' });
    expect(condition(second, 'Ready')?.message).toContain(`FunctionRoute ${w.ns.name}/first`);
    await waitFor(check(() => (w.nodes.some((n) => n.assignment()?.routes.some((r) => r.name === 'first')) ? true : undefined)), { what: 'route first in a node assignment', timeoutMs: 10_000 });
    expect(w.nodes.some((n) => n.assignment()?.routes.some((r) => r.name === 'second'))).toBe(false);
  });

  it('honours the scale subresource: kubectl scale sets minInstances', async () => {
    const scale = (replicas: number) =>
      w.api.request({ method: 'PATCH', path: `${resourcePath(WASM_FUNCTION_TYPE, { namespace: w.ns.name, name: 'hello' })}/scale`, body: { spec: { replicas } }, contentType: 'application/merge-patch+json' });
    await scale(1);
    await waitFor(async () => ((await w.get(WASM_FUNCTION_TYPE, 'hello')).status?.nodes?.length === 1 ? true : undefined), { what: 'hello on one node', timeoutMs: 15_000 });
    const s = await w.api.request<{ status: { replicas: number; selector?: string } }>({ method: 'GET', path: `${resourcePath(WASM_FUNCTION_TYPE, { namespace: w.ns.name, name: 'hello' })}/scale` });
    expect(s.status.replicas).toBe(1);
    expect(s.status.selector).toBe('flotilla.dev/function=hello');
    await scale(2);
    // Wait for the status of the new generation: the Ready=True of generation N-1 is stale.
    const scaled = await waitFor(
      async () => {
        const f = await w.get(WASM_FUNCTION_TYPE, 'hello');
        const ready = condition(f, 'Ready');
        return ready?.status === 'True' && ready.observedGeneration === f.metadata.generation ? f : undefined;
      },
      { what: 'hello Ready at the scaled generation', timeoutMs: 15_000 },
    );
    expect(scaled.status?.nodes).toHaveLength(2);
    expect(scaled.status?.readyInstances).toBe(2);
  });

  it('a new digest rolls out: status and every assignment follow it, Ready once nodes load it', async () => {
    const fn = await w.get(WASM_FUNCTION_TYPE, 'hello');
    await w.api.request({ method: 'PATCH', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: w.ns.name, name: 'hello' }), body: { spec: { module: { ref: signedRef2 } } }, contentType: 'application/merge-patch+json' });
    const digest2 = signedRef2.split('@')[1];
    const rolled = await waitFor(
      async () => {
        const f = await w.get(WASM_FUNCTION_TYPE, 'hello');
        const ready = condition(f, 'Ready');
        return f.status?.resolvedDigest === digest2 && ready?.status === 'True' && ready.observedGeneration === f.metadata.generation ? f : undefined;
      },
      { what: 'hello Ready at the new digest', timeoutMs: 20_000 },
    );
    expect(rolled.metadata.generation).toBeGreaterThan(fn.metadata.generation ?? 0);
    const serving = w.nodes.filter((n) => n.alive && n.assignment()?.functions.some((f) => f.name === 'hello'));
    expect(serving.map((n) => n.assignment()?.functions.find((f) => f.name === 'hello')?.digest)).toEqual([digest2, digest2]);
  });

  it('a restarted operator converges without rewriting anything', async () => {
    const snapshot = async () => {
      const fns = await w.api.request<{ items: KubeObject[] }>({ method: 'GET', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: w.ns.name }) });
      const rts = await w.api.request<{ items: KubeObject[] }>({ method: 'GET', path: resourcePath(WASM_RUNTIME_TYPE, { namespace: w.ns.name }) });
      const cms = await w.api.request<{ items: KubeObject[] }>({ method: 'GET', path: `/api/v1/namespaces/${w.ns.name}/configmaps`, query: { labelSelector: 'flotilla.dev/node' } });
      const events = await w.api.request<{ items: unknown[] }>({ method: 'GET', path: resourcePath(EVENT_TYPE, { namespace: w.ns.name }) });
      return { versions: [...fns.items, ...rts.items, ...cms.items].map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort(), events: events.items.length };
    };
    await w.operator.stop();
    const before = await snapshot();
    w.operator = await w.startOperator();
    await waitFor(async () => ((await fetch(`${w.operator.url}/readyz`)).status === 200 && w.operator.manager.isLeader ? true : undefined), { what: 'the new operator to lead', timeoutMs: 15_000 });
    // Long enough for every controller to have reconciled every object (and for a node heartbeat).
    await new Promise((r) => setTimeout(r, 3000));
    const text = await (await fetch(`${w.operator.url}/metrics`)).text();
    expect(text).toMatch(/flotilla_operator_reconcile_total\{controller="wasmfunction",result="success"\} [1-9]/);
    expect(await snapshot()).toEqual(before);
  });

  it('deleting a function takes it off every node', async () => {
    await w.api.request({ method: 'DELETE', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: w.ns.name, name: 'hello' }) });
    // Read from the API server: every node's ConfigMap, the dead node's included.
    const assignments = async () => {
      const cms = await w.api.request<{ items: { data?: Record<string, string> }[] }>({ method: 'GET', path: `/api/v1/namespaces/${w.ns.name}/configmaps`, query: { labelSelector: 'flotilla.dev/node' } });
      return cms.items.map((cm) => JSON.parse(cm.data?.['assignment.json'] ?? '{}') as NodeAssignment);
    };
    await waitFor(async () => ((await assignments()).every((a) => !a.functions.some((f) => f.name === 'hello')) ? true : undefined), {
      what: 'hello gone from every assignment',
      timeoutMs: 15_000,
    });
    // Its routes no longer have a backend on any node either.
    expect((await assignments()).some((a) => a.routes.some((r) => r.name === 'first'))).toBe(false);
    expect(await assignments()).toHaveLength(3);
  });

  it('a node whose Lease is deleted takes its assignment ConfigMap with it (owner reference)', async () => {
    const path = (kind: string) => `/${kind === 'leases' ? 'apis/coordination.k8s.io/v1' : 'api/v1'}/namespaces/${w.ns.name}/${kind}/${nodeObjectName('edge', 'node-c')}`;
    const victim = w.nodes.find((n) => n.name === 'node-c');
    victim?.kill();
    await w.api.request({ method: 'GET', path: path('configmaps') });
    await w.api.request({ method: 'DELETE', path: path('leases') });
    await waitFor(
      async () => w.api.request({ method: 'GET', path: path('configmaps') }).then(() => undefined, (e: unknown) => ((e as { code?: string }).code === 'NotFound' ? true : undefined)),
      { what: 'the ConfigMap garbage-collected', timeoutMs: 30_000 },
    );
  });

  it('serves metrics with reconcile counts per controller', async () => {
    const text = await (await fetch(`${w.operator.url}/metrics`)).text();
    expect(text).toMatch(/flotilla_operator_reconcile_total\{controller="wasmfunction",result="success"\} [1-9]/);
    expect(text).toMatch(/flotilla_operator_leader 1/);
    expect((await fetch(`${w.operator.url}/readyz`)).status).toBe(200);
  });
});
