import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WASM_FUNCTION_TYPE } from '../../../operator/kinds.ts';
import { ASSIGNMENT_KEY } from '../../../api/index.ts';
import type { NodeAssignment } from '../../../api/index.ts';
import { Informer, systemClock } from '../../../operator/runtime/index.ts';
import type { KubeObject } from '../../../operator/runtime/index.ts';
import { CONFIG_MAP_TYPE } from '../../../operator/kinds.ts';
import { waitFor } from '../../harness/index.ts';
import { condition, fnSpec, operatorWorld } from './fixture.ts';
import type { OperatorWorld } from './fixture.ts';
import { check, quietLog } from './support.ts';

const N = 20;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/**
 * Reconcile latency: from creating a WasmFunction to (a) its node assignment written (what the
 * operator controls) and (b) Ready=True (which adds the node's heartbeat, 100 ms here). Watched,
 * not polled: an informer on the assignment ConfigMaps timestamps each function's first appearance.
 */
describe('reconcile latency', () => {
  let w: OperatorWorld;
  let ref = '';
  const assignedAt = new Map<string, number>();
  let informer: Informer<KubeObject & { data?: Record<string, string> }>;

  beforeAll(async () => {
    w = await operatorWorld('latency');
    ref = await w.pushModule('latency');
    // Room for all of them: 2 × 10 slots would leave the 21st function without a node (as it should).
    await w.addNode('node-a', { intervalMs: 100, capacity: 50 });
    await w.addNode('node-b', { intervalMs: 100, capacity: 50 });
    informer = new Informer({ client: w.api, clock: systemClock, log: quietLog }, { type: CONFIG_MAP_TYPE, namespace: w.ns.name, labelSelector: 'flotilla.dev/node' });
    informer.onChange((c) => {
      const a = JSON.parse(c.object.data?.[ASSIGNMENT_KEY] ?? '{"functions":[]}') as NodeAssignment;
      for (const f of a.functions) if (!assignedAt.has(f.name)) assignedAt.set(f.name, Date.now());
    });
    informer.start();
    await informer.waitForSync();
    // The module's verification is cached after the first function; measure steady state.
    await w.create(WASM_FUNCTION_TYPE, { metadata: { name: 'warmup' }, spec: fnSpec(ref, 1) });
    await w.waitCondition(WASM_FUNCTION_TYPE, 'warmup', 'Ready', { status: 'True' });
  });
  afterAll(async () => {
    await informer?.stop();
    await w?.close();
  });

  it(`create → assignment written and → Ready, over ${N} functions`, async () => {
    const toAssigned: number[] = [];
    const toReady: number[] = [];
    for (let i = 0; i < N; i++) {
      const name = `fn-${i}`;
      const t0 = Date.now();
      await w.create(WASM_FUNCTION_TYPE, { metadata: { name }, spec: fnSpec(ref, 1) });
      await waitFor(check(() => (assignedAt.has(name) ? true : undefined)), { what: `${name} assigned`, timeoutMs: 10_000, intervalMs: 5 });
      toAssigned.push((assignedAt.get(name) ?? NaN) - t0);
      await waitFor(async () => (condition(await w.get(WASM_FUNCTION_TYPE, name), 'Ready')?.status === 'True' ? true : undefined), { what: `${name} Ready`, timeoutMs: 10_000, intervalMs: 10 });
      toReady.push(Date.now() - t0);
    }
    const report = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return { median: quantile(s, 0.5), p90: quantile(s, 0.9), min: s[0], max: s[s.length - 1] };
    };
    const assigned = report(toAssigned);
    const ready = report(toReady);
    process.stderr.write(`reconcile latency over ${N} functions (ms): create→assignment ${JSON.stringify(assigned)}; create→Ready ${JSON.stringify(ready)}\n`);
    expect(assigned.median).toBeLessThan(1000);
    expect(ready.median).toBeLessThan(3000);
  });
});
