import { describe, expect, it } from 'vitest';
import { API_VERSION, formatErrors, parseAssignment, validateFunctionRoute, validateFunctionTrigger, validateWasmFunction } from '../../api/index.ts';
import type { AssignedFunction, AssignedRoute, AssignedTrigger, NodeAssignment, ValidationResult } from '../../api/index.ts';
import { desiredStateFromAssignment } from './from-assignment.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const NEWER = `sha256:${'b'.repeat(64)}`;

function valid<T>(r: ValidationResult<T>): T {
  if (!r.ok) throw new Error(formatErrors(r.errors));
  return r.value;
}

/** Its spec as the API server holds it (defaults filled, `spec` over a minimal one), less the module, which the operator gives as `ref`. */
function specOf(name: string, spec: object): AssignedFunction['spec'] {
  const { module: _declared, ...rest } = valid(validateWasmFunction({ apiVersion: API_VERSION, kind: 'WasmFunction', metadata: { name }, spec: { module: { ref: `registry.example/shop/${name}@${DIGEST}` }, ...spec } })).spec;
  return rest;
}

const fn = (name: string, spec: object = {}, over: Partial<AssignedFunction> = {}): AssignedFunction => ({
  namespace: 'shop',
  name,
  uid: `uid-${name}`,
  generation: 1,
  spec: specOf(name, spec),
  ref: `registry.example/shop/${name}@${DIGEST}`,
  digest: DIGEST,
  trustPolicy: 'fleet',
  hostPaths: { allowed: [] },
  ...over,
});

/** An assigned route whose declared backends are `declared`, narrowed by the operator to `served`. */
const route = (name: string, declared: [string, number][], served: [string, number][] = declared, spec: object = {}): AssignedRoute => ({
  namespace: 'shop',
  name,
  spec: valid(validateFunctionRoute({ apiVersion: API_VERSION, kind: 'FunctionRoute', metadata: { name }, spec: { host: 'shop.example', backends: declared.map(([functionRef, weight]) => ({ functionRef, weight })), ...spec } })).spec,
  backends: served.map(([functionRef, weight]) => ({ functionRef, weight })),
});

const trigger = (name: string, spec: object): AssignedTrigger => ({
  namespace: 'shop',
  name,
  spec: valid(validateFunctionTrigger({ apiVersion: API_VERSION, kind: 'FunctionTrigger', metadata: { name }, spec })).spec,
});

const assignment = (over: Partial<NodeAssignment> = {}): NodeAssignment => ({ node: 'n1', functions: [fn('hello')], dormant: [], remote: [], routes: [], triggers: [], ...over });

describe('desiredStateFromAssignment', () => {
  it('runs the module the operator verified', () => {
    const verified = fn('hello', {}, { ref: `registry.example/shop/hello@${NEWER}`, digest: NEWER });
    const { state, issues } = desiredStateFromAssignment(assignment({ functions: [verified] }));
    expect(issues).toEqual([]);
    expect(state.functions.get('shop/hello')?.module).toMatchObject({ kind: 'oci', digest: NEWER, text: `registry.example/shop/hello@${NEWER}` });
  });

  it('takes limits and capabilities from the spec', () => {
    const { state } = desiredStateFromAssignment(assignment({ functions: [fn('hello', { limits: { memoryPages: 16, timeoutMs: 500, concurrency: 2 }, capabilities: { env: [{ name: 'GREETING', value: 'hi' }] }, state: { store: 'disk' } })] }));
    expect(state.functions.get('shop/hello')).toMatchObject({ memoryPages: 16, timeoutMs: 500, concurrency: 2, env: [{ name: 'GREETING', value: 'hi' }], grants: { wasi: { dirs: [] }, kv: { store: 'disk' } } });
  });

  it("binds the volumes to the pool's host path ceiling the operator sent", () => {
    const volumes = [{ name: 'data', hostPath: '/srv/data/a', mountPath: '/data' }];
    const hostPaths = { allowed: [{ path: '/srv/data', readOnly: true }] };
    const { state } = desiredStateFromAssignment(assignment({ functions: [fn('hello', { runtimeClass: 'edge', capabilities: { volumes } }, { hostPaths })] }));
    expect(state.functions.get('shop/hello')?.grants.wasi).toEqual({
      dirs: [{ guestPath: '/data', hostPath: '/srv/data/a', readOnly: true, grantedAs: 'spec.capabilities.volumes data' }],
      allowed: hostPaths.allowed,
      allowedBy: 'WasmRuntime shop/edge spec.hostPaths.allowed',
    });
  });

  it('keeps instances pristine unless the function opted into reuse, through the ConfigMap JSON too', () => {
    expect(desiredStateFromAssignment(assignment()).state.functions.get('shop/hello')?.reuse).toBe(false);
    const reused = assignment({ functions: [fn('hello', {}, { reuse: true })] });
    expect(desiredStateFromAssignment(reused).state.functions.get('shop/hello')?.reuse).toBe(true);
    expect(desiredStateFromAssignment(parseAssignment(JSON.stringify(reused), 'n1').assignment).state.functions.get('shop/hello')?.reuse).toBe(true);
  });

  it('routes by the backends the operator narrowed, with the rest of the declared spec', () => {
    const split = route('r', [['hello', 90], ['gone', 10]], [['hello', 100]], { pathPrefix: '/hello', methods: ['GET'], timeoutMs: 800, retries: { attempts: 2 } });
    const { state, issues } = desiredStateFromAssignment(assignment({ routes: [split] }));
    expect(issues).toEqual([]);
    expect(state.routes).toEqual([
      { key: 'shop/r', host: 'shop.example', pathPrefix: '/hello', methods: ['GET'], backends: [{ functionKey: 'shop/hello', weight: 100 }], timeoutMs: 800, retries: { attempts: 2, retryOn: ['5xx', 'connect-failure'] } },
    ]);
  });

  it('passes event triggers through and leaves http ones to routes', () => {
    const nats = trigger('orders', { type: 'nats', functionRef: 'hello', nats: { url: 'nats://nats:4222', stream: 'ORDERS', subject: 'orders.*' } });
    const http = trigger('web', { type: 'http', functionRef: 'hello', http: { routeRef: 'r' } });
    const { state, issues } = desiredStateFromAssignment(assignment({ triggers: [nats, http] }));
    expect(issues).toEqual([]);
    expect(state.triggers.map((t) => [t.metadata.name, t.spec.nats?.stream])).toEqual([['orders', 'ORDERS']]);
  });
});

describe('desiredStateFromAssignment: scale from zero', () => {
  const zero = (after?: number) => ({ scaling: { minInstances: 0, scaleToZero: true, ...(after !== undefined ? { scaleToZeroAfterSeconds: after } : {}) } });
  const split = route('r', [['hello', 50], ['cold', 50]]);

  it('keeps a dormant function out of the functions to load, and its route backend in', () => {
    const { state, issues } = desiredStateFromAssignment(assignment({ dormant: [fn('cold', zero(60))], routes: [split] }));
    expect(issues).toEqual([]);
    expect([...state.functions.keys()]).toEqual(['shop/hello']);
    expect([...(state.dormant?.keys() ?? [])]).toEqual(['shop/cold']);
    expect(state.dormant?.get('shop/cold')?.module).toMatchObject({ kind: 'oci', digest: DIGEST });
    expect(state.routes[0]?.backends.map((b) => b.functionKey)).toEqual(['shop/hello', 'shop/cold']);
  });

  it('takes the idle window of the scale-to-zero functions it runs from their spec, the default when unset', () => {
    const { state } = desiredStateFromAssignment(assignment({ functions: [fn('hello'), fn('warm', zero(30)), fn('lazy', zero())] }));
    expect([...(state.idleAfterMs ?? [])]).toEqual([['shop/warm', 30_000], ['shop/lazy', 300_000]]);
  });
});

describe('desiredStateFromAssignment: forwarding', () => {
  const split = route('r', [['hello', 90], ['far', 10]]);

  it('keeps a remote backend in its route with its endpoints, never as a function to load or hold', () => {
    const { state, issues } = desiredStateFromAssignment(assignment({ remote: [{ function: 'shop/far', endpoints: ['http://10.0.0.2:8080'] }], routes: [split] }));
    expect(issues).toEqual([]);
    expect([...state.functions.keys()]).toEqual(['shop/hello']);
    expect(state.dormant?.size).toBe(0);
    expect([...(state.remote ?? [])]).toEqual([['shop/far', ['http://10.0.0.2:8080']]]);
    expect(state.routes[0]?.backends).toEqual([{ functionKey: 'shop/hello', weight: 90 }, { functionKey: 'shop/far', weight: 10 }]);
  });

  it('drops a backend that is neither here nor remote, saying so', () => {
    const { state, issues } = desiredStateFromAssignment(assignment({ routes: [split] }));
    expect(state.routes[0]?.backends.map((b) => b.functionKey)).toEqual(['shop/hello']);
    expect(issues.join()).toMatch(/shop\/far names no WasmFunction/);
  });
});
