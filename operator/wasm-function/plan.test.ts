import { describe, expect, it } from 'vitest';
import type { LiveWasmFunction, LiveWasmRuntime } from '../kinds.ts';
import type { RegisteredNode } from '../../api/index.ts';
import { desiredInstances, planFunction } from './plan.ts';
import type { FunctionObservation } from './plan.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const fn = (over: Partial<LiveWasmFunction['spec']> = {}, status?: LiveWasmFunction['status']): LiveWasmFunction => ({
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'WasmFunction',
  metadata: { name: 'hello', namespace: 'ns', generation: 2 },
  spec: {
    module: { ref: `registry.local/hello@${DIGEST}` },
    abi: 'wasi-preview1-wagi',
    limits: { memoryPages: 16, timeoutMs: 1000, concurrency: 4 },
    capabilities: { env: [], allowedHosts: [], volumes: [] },
    scaling: { minInstances: 2, maxInstances: 5, targetConcurrency: 8, scaleToZero: false },
    runtimeClass: 'edge',
    ...over,
  },
  ...(status ? { status } : {}),
});
const runtime: LiveWasmRuntime = {
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'WasmRuntime',
  metadata: { name: 'edge', namespace: 'ns' },
  spec: { version: '0.1.0', engine: { kind: 'v8', workers: 2, stackSizeKb: 984 }, cache: { sizeMiB: 64 }, capacity: { functions: 100 }, service: { type: 'NodePort' }, trustPolicyRef: { name: 'fleet' }, ceilings: { memoryPages: 32 }, hostPaths: { allowed: [{ path: '/srv/data', readOnly: true }, { path: '/var/lib/fn', readOnly: false }] } },
};
const node = (name: string, report?: RegisteredNode['report'][string], ready = true): RegisteredNode => ({
  name, namespace: 'ns', runtime: 'edge', labels: {}, capacity: { functions: 10 }, report: report ? { 'ns/hello': report } : {}, expiresAtMs: 0, ready,
});
const observe = (o: Partial<FunctionObservation>): FunctionObservation => ({ fn: fn(), runtime, verification: { ok: true, digest: DIGEST }, nodes: [node('a'), node('b')], load: new Map(), ...o });
const cond = (plan: ReturnType<typeof planFunction>, type: string) => plan.conditions.find((c) => c.type === type);

describe('planFunction', () => {
  it.each([
    { name: 'missing runtime', o: { runtime: undefined }, ready: 'RuntimeNotFound', nodes: [] },
    { name: 'limits over ceiling', o: { fn: fn({ limits: { memoryPages: 64, timeoutMs: 1, concurrency: 1 } }) }, ready: 'LimitsExceedCeiling', nodes: [] },
    { name: 'volume outside the allowed host paths', o: { fn: fn({ capabilities: { env: [], allowedHosts: [], volumes: [{ name: 'p', hostPath: '/etc', mountPath: '/p', readOnly: true }] } }) }, ready: 'HostPathNotAllowed', nodes: [] },
    { name: 'volumes within the allowed host paths', o: { fn: fn({ capabilities: { env: [], allowedHosts: [], volumes: [{ name: 'a', hostPath: '/srv/data/x', mountPath: '/a', readOnly: true }, { name: 'b', hostPath: '/var/lib/fn', mountPath: '/b', readOnly: false }] } }) }, ready: 'InstancesNotReady', nodes: ['a', 'b'] },
    { name: 'unsigned', o: { verification: { ok: false, condition: 'SignatureVerified', reason: 'NoSignature', message: 'no signature' } }, ready: 'NoSignature', nodes: [] },
    { name: 'registry down, never verified', o: { verification: { ok: false, condition: 'ModuleAvailable', reason: 'RegistryUnreachable', message: 'ECONNREFUSED' } }, ready: 'RegistryUnreachable', nodes: [] },
    { name: 'placed, nodes still loading', o: {}, ready: 'InstancesNotReady', nodes: ['a', 'b'] },
    { name: 'no nodes', o: { nodes: [] }, ready: 'NoMatchingNodes', nodes: [] },
    { name: 'scaled to zero', o: { fn: fn({ scaling: { minInstances: 0, maxInstances: 1, targetConcurrency: 1, scaleToZero: true } }) }, ready: 'ScaledToZero', nodes: [] },
    { name: 'all loaded', o: { nodes: [node('a', { digest: DIGEST, state: 'Loaded' }), node('b', { digest: DIGEST, state: 'Loaded' })] }, ready: 'AllInstancesReady', nodes: ['a', 'b'] },
  ] as const)('$name → Ready $ready', ({ o, ready, nodes }) => {
    const plan = planFunction(observe(o));
    expect(cond(plan, 'Ready')?.reason).toBe(ready);
    expect(plan.nodes).toEqual(nodes);
  });

  describe('host paths: only under the pool\'s spec.hostPaths.allowed', () => {
    const withVolume = (hostPath: string, readOnly: boolean) => fn({ capabilities: { env: [], allowedHosts: [], volumes: [{ name: 'data', hostPath, mountPath: '/data', readOnly }] } });

    it.each([
      { name: 'a sibling sharing a prefix', hostPath: '/srv/data2', readOnly: true, why: 'expected /srv/data2 at or below an entry of WasmRuntime ns/edge spec.hostPaths.allowed (/srv/data, /var/lib/fn), got none' },
      { name: 'read-write under a read-only entry', hostPath: '/srv/data/x', readOnly: false, why: 'expected a read-only volume (WasmRuntime ns/edge spec.hostPaths.allowed has /srv/data read-only), got readOnly: false for /srv/data/x' },
    ])('refuses $name: Ready False naming the volume, the path and the field, placed nowhere', ({ hostPath, readOnly, why }) => {
      const plan = planFunction(observe({ fn: withVolume(hostPath, readOnly), nodes: [node('a', { digest: DIGEST, state: 'Loaded' })] }));
      expect(plan.nodes).toEqual([]);
      expect(plan.served).toBeUndefined();
      expect(cond(plan, 'Ready')).toMatchObject({ status: 'False', reason: 'HostPathNotAllowed' });
      expect(cond(plan, 'Ready')?.message).toContain(`volume data: ${why}`);
    });

    it('a pool that allows nothing refuses every volume', () => {
      const closed = { ...runtime, spec: { ...runtime.spec, hostPaths: { allowed: [] } } };
      const plan = planFunction(observe({ fn: withVolume('/srv/data', true), runtime: closed }));
      expect(cond(plan, 'Ready')?.message).toContain('(empty: no host paths)');
    });
  });

  it('an unsigned module reports the precise reason on SignatureVerified', () => {
    const plan = planFunction(observe({ verification: { ok: false, condition: 'SignatureVerified', reason: 'UntrustedKey', message: 'signed by an untrusted key' } }));
    expect(cond(plan, 'SignatureVerified')).toMatchObject({ status: 'False', reason: 'UntrustedKey' });
  });

  it('keeps serving a digest verified before while the registry is down', () => {
    const status = { resolvedDigest: DIGEST, moduleRef: `registry.local/hello@${DIGEST}`, nodes: ['b'] };
    const plan = planFunction(observe({ fn: fn({}, status), verification: { ok: false, condition: 'ModuleAvailable', reason: 'RegistryUnreachable', message: 'down' } }));
    expect(plan.nodes).toContain('b');
    expect(plan.served).toEqual({ ref: `registry.local/hello@${DIGEST}`, digest: DIGEST });
    expect(cond(plan, 'ModuleAvailable')).toMatchObject({ status: 'False', reason: 'RegistryUnreachable' });
    expect(cond(plan, 'SignatureVerified')).toMatchObject({ status: 'True', reason: 'Verified' });
  });

  describe('a new ref that cannot be served keeps the last verified module on the nodes', () => {
    const OLD = `sha256:${'b'.repeat(64)}`;
    const oldRef = `registry.local/hello@${OLD}`;
    const serving = { resolvedDigest: OLD, moduleRef: oldRef, nodes: ['a', 'b'] };
    const loadedOld = [node('a', { digest: OLD, state: 'Loaded' }), node('b', { digest: OLD, state: 'Loaded' })];

    it.each([
      { name: 'unsigned', verification: { ok: false, condition: 'SignatureVerified', reason: 'NoSignature', message: 'no signature' }, signature: 'False' },
      { name: 'registry down', verification: { ok: false, condition: 'ModuleAvailable', reason: 'RegistryUnreachable', message: 'ECONNREFUSED' }, signature: 'Unknown' },
    ] as const)('$name: old module served, Ready False with both digests, rollout blocked', ({ verification, signature }) => {
      const plan = planFunction(observe({ fn: fn({}, serving), verification, nodes: loadedOld }));
      expect(plan.served).toEqual({ ref: oldRef, digest: OLD });
      expect(plan.nodes).toEqual(['a', 'b']);
      expect(plan.readyInstances).toBe(2);
      expect(cond(plan, 'SignatureVerified')?.status).toBe(signature);
      expect(cond(plan, 'Ready')).toMatchObject({ status: 'False', reason: verification.reason });
      expect(cond(plan, 'Ready')?.message).toBe(`${DIGEST} not served: ${verification.message}; ${OLD} (verified earlier) keeps serving`);
      expect(cond(plan, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutBlocked' });
    });

    it('the served digest itself failing verification takes the function off every node', () => {
      const same = { resolvedDigest: DIGEST, moduleRef: `registry.local/hello@${DIGEST}`, nodes: ['a', 'b'] };
      const plan = planFunction(observe({ fn: fn({}, same), verification: { ok: false, condition: 'SignatureVerified', reason: 'UntrustedKey', message: 'key no longer trusted' } }));
      expect(plan.served).toBeUndefined();
      expect(plan.nodes).toEqual([]);
      expect(cond(plan, 'Ready')).toMatchObject({ status: 'False', reason: 'UntrustedKey' });
    });

    it('once the new ref verifies, it is served and the old one is dropped', () => {
      const plan = planFunction(observe({ fn: fn({}, serving), nodes: loadedOld }));
      expect(plan.served).toEqual({ ref: `registry.local/hello@${DIGEST}`, digest: DIGEST });
      expect(cond(plan, 'Progressing')).toMatchObject({ status: 'True', reason: 'RolloutInProgress' });
      expect(plan.readyInstances).toBe(0);
    });
  });

  it('a rollout is in progress while a node still serves the old digest', () => {
    const old = `sha256:${'b'.repeat(64)}`;
    const plan = planFunction(observe({ nodes: [node('a', { digest: DIGEST, state: 'Loaded' }), node('b', { digest: old, state: 'Loaded' })] }));
    expect(cond(plan, 'Progressing')).toMatchObject({ status: 'True', reason: 'RolloutInProgress' });
    expect(plan.readyInstances).toBe(1);
  });

  it('repeated failures on a node make it Degraded with the reason', () => {
    const plan = planFunction(observe({ nodes: [node('a', { digest: DIGEST, state: 'Failed', reason: 'CompileFailed', message: 'bad magic', failures: 3 }), node('b', { digest: DIGEST, state: 'Loaded' })] }));
    expect(cond(plan, 'Degraded')).toMatchObject({ status: 'True', reason: 'InstancesFailing', message: 'a: CompileFailed bad magic' });
    expect(cond(plan, 'Ready')?.reason).toBe('InstancesFailing');
  });

  it('moves instances off a node whose lease expired', () => {
    const plan = planFunction(observe({ fn: fn({}, { nodes: ['a', 'b'] }), nodes: [node('a', undefined, false), node('b'), node('c')] }));
    expect(plan.nodes).toEqual(['b', 'c']);
  });

  it('spreads across the topology key', () => {
    const zoned = (name: string, zone: string) => ({ ...node(name), labels: { zone } });
    const plan = planFunction(
      observe({
        fn: fn({ placement: { topologySpread: { topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' } } }),
        nodes: [zoned('a1', 'a'), zoned('a2', 'a'), zoned('b1', 'b')],
      }),
    );
    expect(plan.nodes).toEqual(['a1', 'b1']);
  });

  it.each([
    { name: 'no load: minInstances', inFlight: 0, current: 2, want: 2 },
    { name: 'load above target scales up at once', inFlight: 30, current: 2, want: 4 },
    { name: 'capped at maxInstances', inFlight: 1000, current: 2, want: 5 },
    { name: 'small dip: keep (hysteresis)', inFlight: 20, current: 3, want: 3 },
    { name: 'real drop: scale down', inFlight: 9, current: 4, want: 2 },
    { name: 'never below minInstances', inFlight: 1, current: 4, want: 2 },
  ])('desiredInstances: $name', ({ inFlight, current, want }) => {
    expect(desiredInstances({ minInstances: 2, maxInstances: 5, targetConcurrency: 8 }, inFlight, current)).toBe(want);
  });

  it('autoscales from the load the nodes report', () => {
    const loaded = (name: string) => node(name, { digest: DIGEST, state: 'Loaded', inFlight: 12 });
    const plan = planFunction(observe({ fn: fn({}, { nodes: ['a', 'b'] }), nodes: [loaded('a'), loaded('b'), node('c'), node('d')] }));
    expect(plan.desiredInstances).toBe(3); // 24 in flight / 8 per instance
    expect(plan.nodes).toEqual(['a', 'b', 'c']);
  });

  describe('scale to zero and back', () => {
    const zero = { minInstances: 0, maxInstances: 2, targetConcurrency: 8, scaleToZero: true, scaleToZeroAfterSeconds: 60 };
    const verified = (nodes: string[], conditions?: NonNullable<LiveWasmFunction['status']>['conditions']) => ({ resolvedDigest: DIGEST, moduleRef: `registry.local/hello@${DIGEST}`, nodes, ...(conditions ? { conditions } : {}) });
    const wanted = (waiting = 1) => ({ digest: DIGEST, state: 'Wanted' as const, waiting });
    const loaded = (idle = false) => ({ digest: DIGEST, state: 'Loaded' as const, ...(idle ? { idle } : {}) });

    it('no demand: placed nowhere, Ready ScaledToZero saying what wakes it', () => {
      const plan = planFunction(observe({ fn: fn({ scaling: zero }, verified([])) }));
      expect(plan.nodes).toEqual([]);
      expect(cond(plan, 'Ready')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
      expect(cond(plan, 'Ready')?.message).toContain('the next request on any node of WasmRuntime edge starts it');
    });

    it('a node holding requests wakes it there first, and the plan says which node woke it', () => {
      const plan = planFunction(observe({ fn: fn({ scaling: zero }, verified([])), nodes: [node('a'), node('b', wanted(3))] }));
      expect(plan.nodes).toEqual(['b']);
      expect(plan.desiredInstances).toBe(1);
      expect(plan.wokenBy).toEqual(['b']);
      expect(cond(plan, 'Ready')).toMatchObject({ status: 'False', reason: 'InstancesNotReady', message: `0/1 instances serve ${DIGEST}; woken from zero by a request on b` });
    });

    it('demand on a node not running it adds an instance there, within maxInstances', () => {
      const three = [node('a', loaded()), node('b', wanted()), node('c', wanted())];
      const plan = planFunction(observe({ fn: fn({ scaling: zero }, verified(['a'])), nodes: three }));
      expect(plan.nodes).toEqual(['a', 'b']);
      expect(plan.wokenBy).toBeUndefined();
    });

    it('an instance stays until its node reports it idle, then comes off: back to zero with the idle window in the message', () => {
      expect(planFunction(observe({ fn: fn({ scaling: zero }, verified(['a'])), nodes: [node('a', loaded()), node('b')] })).nodes).toEqual(['a']);
      const plan = planFunction(observe({ fn: fn({ scaling: zero }, verified(['a'])), nodes: [node('a', loaded(true)), node('b')] }));
      expect(plan.nodes).toEqual([]);
      expect(plan.idleOn).toEqual(['a']);
      expect(cond(plan, 'Ready')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
      expect(cond(plan, 'Ready')?.message).toMatch(/^scaled to zero: idle for 60 s on a /);
      // The next pass no longer sees the idle node: the message stays.
      const after = planFunction(observe({ fn: fn({ scaling: zero }, verified([], [{ type: 'Ready', status: 'True', reason: 'ScaledToZero', message: cond(plan, 'Ready')!.message, lastTransitionTime: '2026-01-01T00:00:00Z' }])) }));
      expect(cond(after, 'Ready')?.message).toBe(cond(plan, 'Ready')?.message);
    });

    it('an idle node is kept while another reports demand elsewhere only if there is room', () => {
      const plan = planFunction(observe({ fn: fn({ scaling: zero }, verified(['a'])), nodes: [node('a', loaded(true)), node('b', wanted())] }));
      expect(plan.nodes).toEqual(['b']);
    });

    it('runs where it is asked for, not by concurrency: load on one node adds no instance on another', () => {
      const busy = { digest: DIGEST, state: 'Loaded' as const, inFlight: 50 };
      const plan = planFunction(observe({ fn: fn({ scaling: zero }, verified(['a'])), nodes: [node('a', busy), node('b')] }));
      expect(plan.nodes).toEqual(['a']);
    });

    it('an instance on a node that went away is not moved elsewhere without demand', () => {
      const plan = planFunction(observe({ fn: fn({ scaling: zero }, verified(['a'])), nodes: [node('a', loaded(), false), node('b')] }));
      expect(plan.nodes).toEqual([]);
    });

    it('demand from a node whose lease expired does not count; idle reports do not matter without scaleToZero', () => {
      expect(planFunction(observe({ fn: fn({ scaling: zero }, verified([])), nodes: [node('a', wanted(), false)] })).nodes).toEqual([]);
      const plan = planFunction(observe({ fn: fn({}, verified(['a', 'b'])), nodes: [node('a', loaded(true)), node('b', loaded(true))] }));
      expect(plan.nodes).toEqual(['a', 'b']);
    });
  });
});
