import { describe, expect, it } from 'vitest';
import { API_VERSION, ASSIGNMENT_KEY, formatErrors, parseAssignment, validateFunctionRoute, validateFunctionTrigger, validateWasmFunction } from '../../api/index.ts';
import type { ValidationResult } from '../../api/index.ts';
import type { LiveFunctionRoute, LiveFunctionTrigger, LiveWasmFunction } from '../kinds.ts';
import { assignmentConfigMap, nodeAssignment } from './assignment.ts';

const D = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;

/** The object as the API server holds it: validated, defaults filled. */
function valid<T>(r: ValidationResult<T>): T {
  if (!r.ok) throw new Error(formatErrors(r.errors));
  return r.value;
}
const meta = (name: string) => ({ name, namespace: 'ns' });
/** `digest`: the verified module in status (null: none yet); the spec may already name a newer one. */
const fn = (name: string, nodes: string[], digest: string | null = D, specDigest = D, scaling: object = { minInstances: 1, scaleToZero: false }, placement?: object): LiveWasmFunction => ({
  ...valid(validateWasmFunction({ apiVersion: API_VERSION, kind: 'WasmFunction', metadata: meta(name), spec: { module: { ref: `r/x@${specDigest}` }, scaling, ...(placement ? { placement } : {}), runtimeClass: 'edge' } })),
  metadata: { ...meta(name), uid: `uid-${name}`, generation: 1 },
  status: { nodes, ...(digest ? { resolvedDigest: digest, moduleRef: `r/x@${digest}` } : {}) },
});
const route = (name: string, backends: [string, number][]): LiveFunctionRoute =>
  valid(validateFunctionRoute({ apiVersion: API_VERSION, kind: 'FunctionRoute', metadata: meta(name), spec: { host: 'h', methods: ['POST', 'GET'], backends: backends.map(([functionRef, weight]) => ({ functionRef, weight })) } }));
const SOURCES: Record<string, object> = { cron: { schedule: '*/5 * * * *' }, nats: { url: 'nats://nats:4222', stream: 'S', subject: 'orders' } };
const trigger = (name: string, functionRef: string, type: 'cron' | 'nats'): LiveFunctionTrigger =>
  valid(validateFunctionTrigger({ apiVersion: API_VERSION, kind: 'FunctionTrigger', metadata: meta(name), spec: { functionRef, type, [type]: SOURCES[type] } }));
const owner = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: 'flotilla-node-edge.n1', uid: 'lease-uid' };

describe('nodeAssignment', () => {
  const functions = [fn('stable', ['n1', 'n2']), fn('canary', ['n2']), fn('unverified', ['n1'], null)];
  const routes = [route('split', [['stable', 90], ['canary', 10]]), route('lost', [['stable', 100]])];
  const triggers = [trigger('tick', 'stable', 'cron'), trigger('queue', 'stable', 'nats'), trigger('cycle', 'stable', 'nats')];
  const at = (node: string) =>
    nodeAssignment({ node, namespace: 'ns', trustPolicy: 'fleet', functions, routes, triggers, rejectedRoutes: new Set(['ns/lost']), rejectedTriggers: new Set(['ns/cycle']) });

  it('assigns the verified module from status, never a newer spec ref that has not verified', () => {
    const blocked = nodeAssignment({ node: 'n1', namespace: 'ns', trustPolicy: 'fleet', functions: [fn('rolled', ['n1'], D, NEW)], routes: [], triggers: [] });
    expect(blocked.functions[0]).toMatchObject({ ref: `r/x@${D}`, digest: D });
    // Not even as the declared spec.module: a node is never handed a ref that has not verified.
    expect(blocked.functions[0]?.spec).not.toHaveProperty('module');
    expect(JSON.stringify(blocked)).not.toContain(NEW);
  });

  it("carries each object's whole spec as the API server holds it, a function's module given way to the verified one", () => {
    const a = at('n1');
    const { module: _declared, ...spec } = functions[0]!.spec;
    expect(a.functions[0]?.spec).toEqual(spec);
    expect(a.routes[0]?.spec).toEqual(routes[0]?.spec);
    expect(a.triggers.map((t) => t.spec)).toEqual([triggers[1]?.spec, triggers[0]?.spec]);
  });

  it('writes what a node of the same build reads back whole, and stays small', () => {
    for (const node of ['n1', 'n2']) {
      const text = assignmentConfigMap('ns', 'edge', at(node), owner).data?.[ASSIGNMENT_KEY] ?? '';
      expect(parseAssignment(text, node)).toEqual({ assignment: at(node), issues: [] });
    }
    // A ConfigMap holds at most 1 MiB: a pool of 300 functions (a route each) must leave most of it free.
    const many = Array.from({ length: 300 }, (_, i) => fn(`f${i}`, ['n1']));
    const text = assignmentConfigMap('ns', 'edge', nodeAssignment({ node: 'n1', namespace: 'ns', trustPolicy: 'fleet', functions: many, routes: many.map((f) => route(f.metadata.name, [[f.metadata.name, 100]])), triggers: [] }), owner).data?.[ASSIGNMENT_KEY] ?? '';
    expect(text.length).toBeLessThan(300 * 1024);
  });

  it('carries the instance-reuse opt-in from the annotation', () => {
    const reused = fn('reused', ['n1']);
    (reused.metadata as { annotations?: Record<string, string> }).annotations = { 'flotilla.dev/instance-reuse': 'true' };
    const a = nodeAssignment({ node: 'n1', namespace: 'ns', trustPolicy: 'fleet', functions: [reused, fn('plain', ['n1'])], routes: [], triggers: [] });
    expect(a.functions.map((f) => [f.name, f.reuse])).toEqual([['plain', undefined], ['reused', true]]);
  });

  it("carries the pool's host path ceiling to every function, none allowed when the pool gives none", () => {
    const hostPaths = { allowed: [{ path: '/srv/data', readOnly: true }] };
    const a = nodeAssignment({ node: 'n1', namespace: 'ns', trustPolicy: 'fleet', hostPaths, functions: [fn('a', ['n1'])], routes: [], triggers: [] });
    expect(a.functions[0]?.hostPaths).toEqual(hostPaths);
    expect(at('n1').functions[0]?.hostPaths).toEqual({ allowed: [] });
    // An assignment from an operator that sent none reads as none allowed.
    const { hostPaths: _absent, ...old } = a.functions[0]!;
    expect(parseAssignment(JSON.stringify({ ...a, functions: [old] }), 'n1').assignment.functions[0]?.hostPaths).toEqual({ allowed: [] });
  });

  it('assigns only verified functions placed on the node', () => {
    expect(at('n1').functions.map((f) => f.name)).toEqual(['stable']);
    expect(at('n2').functions.map((f) => f.name)).toEqual(['canary', 'stable']);
    expect(at('n1').functions[0]).toMatchObject({ digest: D, trustPolicy: 'fleet', uid: 'uid-stable' });
  });

  it('without endpoints for the other nodes, narrows routes to local backends and renormalises weights; rejected routes never appear', () => {
    const declared = route('split', [['stable', 90], ['canary', 10]]).spec;
    expect(at('n1').routes).toEqual([{ namespace: 'ns', name: 'split', spec: declared, backends: [{ functionRef: 'stable', weight: 100 }] }]);
    expect(at('n2').routes[0]?.backends).toEqual([
      { functionRef: 'stable', weight: 90 },
      { functionRef: 'canary', weight: 10 },
    ]);
  });

  it('runs cron on the first node only, queue consumers everywhere, cyclic triggers nowhere', () => {
    expect(at('n1').triggers.map((t) => t.name)).toEqual(['queue', 'tick']);
    expect(at('n2').triggers.map((t) => t.name)).toEqual(['queue']);
  });

  it('is deterministic: the same inputs in another order serialise identically', () => {
    const shuffled = nodeAssignment({ node: 'n2', namespace: 'ns', trustPolicy: 'fleet', functions: [...functions].reverse(), routes: [...routes].reverse(), triggers: [...triggers].reverse(), rejectedRoutes: new Set(['ns/lost']), rejectedTriggers: new Set(['ns/cycle']) });
    expect(JSON.stringify(shuffled)).toBe(JSON.stringify(at('n2')));
  });

  describe('scale to zero', () => {
    const zero = { minInstances: 0, scaleToZero: true, scaleToZeroAfterSeconds: 60 };
    const cold = [fn('cold', [], D, D, zero), fn('warm', ['n2'], D, D, zero), fn('picky', [], D, D, zero, { nodeSelector: { zone: 'b' } }), fn('unsigned', [], null, D, zero)];
    const coldRoutes = [route('cold', [['cold', 100]]), route('warm', [['warm', 100]]), route('picky', [['picky', 100]]), route('unsigned', [['unsigned', 100]]), route('mixed', [['stable', 50], ['cold', 50]])];
    const on = (node: string, labels: Record<string, string>) =>
      nodeAssignment({ node, labels, namespace: 'ns', trustPolicy: 'fleet', functions: [...cold, fn('stable', ['n1'])], routes: coldRoutes, triggers: [trigger('tick', 'cold', 'cron')] });

    it('hands a verified function placed nowhere to every node its selector admits as dormant, with its routes', () => {
      const a = on('n1', { zone: 'a' });
      expect(a.dormant.map((f) => f.name)).toEqual(['cold', 'warm']);
      expect(a.dormant[0]).toMatchObject({ digest: D, ref: `r/x@${D}`, spec: { scaling: { scaleToZero: true, scaleToZeroAfterSeconds: 60 } } });
      expect(a.routes.map((r) => r.name)).toEqual(['cold', 'mixed', 'warm']);
      expect(on('n3', { zone: 'b' }).dormant.map((f) => f.name)).toEqual(['cold', 'picky', 'warm']);
    });

    it('a node running it gets it as a function (its spec says the idle window), not dormant', () => {
      const b = on('n2', { zone: 'b' });
      expect(b.functions.find((f) => f.name === 'warm')).toMatchObject({ spec: { scaling: { scaleToZero: true, scaleToZeroAfterSeconds: 60 } } });
      expect(b.dormant.map((f) => f.name)).not.toContain('warm');
    });

    it('keeps dormant backends in a split with running ones; never an unverified function; triggers do not wake', () => {
      const a = on('n1', { zone: 'a' });
      expect(a.routes.find((r) => r.name === 'mixed')?.backends).toEqual([{ functionRef: 'stable', weight: 50 }, { functionRef: 'cold', weight: 50 }]);
      expect(JSON.stringify(a)).not.toContain('unsigned');
      expect(a.triggers).toEqual([]);
    });
  });

  describe('forwarding', () => {
    const endpoints = new Map([['n1', 'http://10.0.0.1:8080'], ['n2', 'http://10.0.0.2:8080'], ['n3', 'http://10.0.0.3:8080']]);
    const zero = { minInstances: 0, scaleToZero: true, scaleToZeroAfterSeconds: 60 };
    const pool = [fn('stable', ['n1', 'n2']), fn('canary', ['n2']), fn('gone', ['n9']), fn('unverified', ['n2'], null), fn('warm', ['n2'], D, D, zero)];
    const split = [route('split', [['stable', 90], ['canary', 10]]), route('warm', [['warm', 100]]), route('gone', [['gone', 100]])];
    const on = (node: string) => nodeAssignment({ node, namespace: 'ns', trustPolicy: 'fleet', functions: pool, routes: split, triggers: [trigger('tick', 'canary', 'cron')], endpoints });

    it('hands a verified function placed only elsewhere as remote, with the endpoints of the ready nodes running it', () => {
      expect(on('n1').remote).toEqual([{ function: 'ns/canary', endpoints: ['http://10.0.0.2:8080'] }]);
      expect(on('n3').remote).toEqual([
        { function: 'ns/canary', endpoints: ['http://10.0.0.2:8080'] },
        { function: 'ns/stable', endpoints: ['http://10.0.0.1:8080', 'http://10.0.0.2:8080'] },
      ]);
      // Running everything itself, n2 forwards nothing; a function on a node without an endpoint (not ready) is nowhere to forward to.
      expect(on('n2').remote).toEqual([]);
    });

    it('keeps routes whole with their declared weights; a remote backend is not loaded nor run by triggers', () => {
      expect(on('n1').routes.find((r) => r.name === 'split')?.backends).toEqual([
        { functionRef: 'stable', weight: 90 },
        { functionRef: 'canary', weight: 10 },
      ]);
      // 'gone' runs only on a node with no endpoint (not ready): nowhere to send it, no route.
      expect(on('n3').routes.map((r) => r.name)).toEqual(['split', 'warm']);
      expect(on('n3').functions).toEqual([]);
      expect(on('n3').triggers).toEqual([]);
      expect(JSON.stringify(on('n3'))).not.toContain('unverified');
    });

    it('a scale-to-zero function placed elsewhere stays dormant (it wakes where the request lands), never remote', () => {
      const a = on('n1');
      expect(a.dormant.map((f) => f.name)).toEqual(['warm']);
      expect(a.remote.map((r) => r.function)).not.toContain('ns/warm');
      expect(a.routes.map((r) => r.name)).toEqual(['split', 'warm']);
    });
  });
});
