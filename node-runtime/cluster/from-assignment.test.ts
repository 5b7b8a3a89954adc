import { describe, expect, it } from 'vitest';
import { parseAssignment } from '../../api/index.ts';
import type { AssignedFunction, NodeAssignment } from '../../api/index.ts';
import { desiredStateFromAssignment } from './from-assignment.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

const fn = (name: string, over: Partial<AssignedFunction> = {}): AssignedFunction => ({
  namespace: 'shop',
  name,
  uid: `uid-${name}`,
  generation: 1,
  ref: 'registry.example/shop/hello:v1',
  digest: DIGEST,
  abi: 'wasi-preview1-wagi',
  limits: { memoryPages: 16, timeoutMs: 500, concurrency: 2 },
  capabilities: { env: [{ name: 'GREETING', value: 'hi' }] },
  trustPolicy: 'fleet',
  ...over,
});

const assignment = (over: Partial<NodeAssignment> = {}): NodeAssignment => ({ node: 'n1', functions: [fn('hello')], dormant: [], remote: [], routes: [], triggers: [], ...over });

describe('desiredStateFromAssignment', () => {
  it('pins the module to the verified digest, never the tag', () => {
    const { state, issues } = desiredStateFromAssignment(assignment());
    expect(issues).toEqual([]);
    const def = state.functions.get('shop/hello');
    expect(def?.module).toMatchObject({ kind: 'oci', digest: DIGEST, text: `registry.example/shop/hello@${DIGEST}` });
    expect(def).toMatchObject({ memoryPages: 16, timeoutMs: 500, concurrency: 2, env: [{ name: 'GREETING', value: 'hi' }] });
  });

  it('keeps instances pristine unless the function opted into reuse', () => {
    expect(desiredStateFromAssignment(assignment()).state.functions.get('shop/hello')?.reuse).toBe(false);
    const reused = desiredStateFromAssignment(assignment({ functions: [fn('hello', { reuse: true })] }));
    expect(reused.issues).toEqual([]);
    expect(reused.state.functions.get('shop/hello')?.reuse).toBe(true);
    // Through the ConfigMap's JSON too.
    expect(desiredStateFromAssignment(parseAssignment(JSON.stringify(assignment({ functions: [fn('hello', { reuse: true })] })), 'n1')).state.functions.get('shop/hello')?.reuse).toBe(true);
  });

  it('turns routes back into route definitions with namespaced backends', () => {
    const { state, issues } = desiredStateFromAssignment(
      assignment({
        routes: [{ namespace: 'shop', name: 'r', host: 'shop.example', pathPrefix: '/hello', methods: ['GET'], backends: [{ function: 'shop/hello', weight: 100 }], spec: { timeoutMs: 800, auth: { type: 'none' } } }],
      }),
    );
    expect(issues).toEqual([]);
    expect(state.routes).toEqual([{ key: 'shop/r', host: 'shop.example', pathPrefix: '/hello', methods: ['GET'], backends: [{ functionKey: 'shop/hello', weight: 100 }], timeoutMs: 800 }]);
  });

  it('passes event triggers through and leaves http ones to routes', () => {
    const nats = { namespace: 'shop', name: 'orders', function: 'shop/hello', spec: { type: 'nats', functionRef: 'hello', nats: { url: 'nats://nats:4222', stream: 'ORDERS', subject: 'orders.*' } } };
    const http = { namespace: 'shop', name: 'web', function: 'shop/hello', spec: { type: 'http', functionRef: 'hello', http: { pathPrefix: '/x' } } };
    const { state } = desiredStateFromAssignment(assignment({ triggers: [nats, http] }));
    expect(state.triggers.map((t) => t.metadata.name)).toEqual(['orders']);
  });

  it.each([
    { name: 'limits outside the schema', f: fn('bad', { limits: { memoryPages: -1 } }), issue: /assigned function shop\/bad: .*memoryPages/ },
    { name: 'a digest that is not one', f: fn('bad', { digest: 'latest' }), issue: /assigned function shop\/bad: .*pinned by digest/ },
  ])('leaves out a function with $name and keeps the rest', ({ f, issue }) => {
    const { state, issues } = desiredStateFromAssignment(assignment({ functions: [fn('hello'), f] }));
    expect([...state.functions.keys()]).toEqual(['shop/hello']);
    expect(issues.join('\n')).toMatch(issue);
  });
});

describe('desiredStateFromAssignment: scale from zero', () => {
  const route = { namespace: 'shop', name: 'r', host: 'shop.example', pathPrefix: '/', methods: [], backends: [{ function: 'shop/hello', weight: 50 }, { function: 'shop/cold', weight: 50 }], spec: { timeoutMs: 800, auth: { type: 'none' } } };

  it('keeps a dormant function out of the functions to load, and its route backend in', () => {
    const { state, issues } = desiredStateFromAssignment(assignment({ dormant: [fn('cold', { scaleToZeroAfterSeconds: 60 })], routes: [route] }));
    expect(issues).toEqual([]);
    expect([...state.functions.keys()]).toEqual(['shop/hello']);
    expect([...(state.dormant?.keys() ?? [])]).toEqual(['shop/cold']);
    expect(state.dormant?.get('shop/cold')?.module).toMatchObject({ kind: 'oci', digest: DIGEST });
    expect(state.routes[0]?.backends.map((b) => b.functionKey)).toEqual(['shop/hello', 'shop/cold']);
  });

  it('carries the idle window of the scale-to-zero functions it runs', () => {
    const { state } = desiredStateFromAssignment(assignment({ functions: [fn('hello'), fn('warm', { scaleToZeroAfterSeconds: 30 })] }));
    expect([...(state.idleAfterMs ?? [])]).toEqual([['shop/warm', 30_000]]);
  });

  it('an assignment from an operator that writes no dormant list has none', () => {
    const { dormant: _, ...old } = assignment();
    expect(parseAssignment(JSON.stringify(old), 'n1').dormant).toEqual([]);
  });
});

describe('desiredStateFromAssignment: forwarding', () => {
  const route = { namespace: 'shop', name: 'r', host: 'shop.example', pathPrefix: '/', methods: [], backends: [{ function: 'shop/hello', weight: 90 }, { function: 'shop/far', weight: 10 }], spec: { timeoutMs: 800, auth: { type: 'none' } } };

  it('keeps a remote backend in its route with its endpoints, never as a function to load or hold', () => {
    const { state, issues } = desiredStateFromAssignment(assignment({ remote: [{ function: 'shop/far', endpoints: ['http://10.0.0.2:8080'] }], routes: [route] }));
    expect(issues).toEqual([]);
    expect([...state.functions.keys()]).toEqual(['shop/hello']);
    expect(state.dormant?.size).toBe(0);
    expect([...(state.remote ?? [])]).toEqual([['shop/far', ['http://10.0.0.2:8080']]]);
    expect(state.routes[0]?.backends).toEqual([{ functionKey: 'shop/hello', weight: 90 }, { functionKey: 'shop/far', weight: 10 }]);
  });

  it('drops a backend that is neither here nor remote, and an older operator writes no remote list', () => {
    const { state, issues } = desiredStateFromAssignment(assignment({ routes: [route] }));
    expect(state.routes[0]?.backends.map((b) => b.functionKey)).toEqual(['shop/hello']);
    expect(issues.join()).toMatch(/shop\/far names no WasmFunction/);
    const { remote: _, ...old } = assignment();
    expect(parseAssignment(JSON.stringify(old), 'n1').remote).toEqual([]);
  });
});

describe('parseAssignment', () => {
  it.each([
    { name: 'no ConfigMap yet', text: '', ok: true },
    { name: 'not JSON', text: '{', error: /expected JSON/ },
    { name: 'another node', text: JSON.stringify({ ...assignment(), node: 'n2' }), error: /expected node "n1", got "n2"/ },
    { name: 'functions not a list', text: JSON.stringify({ ...assignment(), functions: {} }), error: /expected functions to be an array/ },
    { name: 'dormant not a list', text: JSON.stringify({ ...assignment(), dormant: 'x' }), error: /expected dormant to be an array/ },
    { name: 'remote not a list', text: JSON.stringify({ ...assignment(), remote: {} }), error: /expected remote to be an array/ },
    { name: 'a remote function without endpoints', text: JSON.stringify({ ...assignment(), remote: [{ function: 'shop/x', endpoints: [1] }] }), error: /remote\[0\] to be \{ function: string, endpoints: string\[\] \}/ },
    { name: 'an item without a name', text: JSON.stringify({ ...assignment(), routes: [{ namespace: 'shop' }] }), error: /routes\[0\] to have string namespace and name/ },
  ])('$name', ({ text, ok, error }) => {
    if (ok) expect(parseAssignment(text, 'n1')).toEqual({ node: 'n1', functions: [], dormant: [], remote: [], routes: [], triggers: [] });
    else expect(() => parseAssignment(text, 'n1')).toThrow(error);
  });
});
