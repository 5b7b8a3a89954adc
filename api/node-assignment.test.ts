import { describe, expect, it } from 'vitest';
import { emptyAssignment, parseAssignment } from './node-assignment.ts';

const D = `sha256:${'a'.repeat(64)}`;
const REF = `registry.example/shop/hello@${D}`;

/** Entries as an operator of this build writes them (specs as the API server holds them, defaults filled). */
const fn = (name: string, over: Record<string, unknown> = {}) => ({
  namespace: 'shop',
  name,
  uid: `uid-${name}`,
  generation: 2,
  spec: {
    abi: 'wasi-preview1-wagi',
    limits: { memoryPages: 16, timeoutMs: 500, concurrency: 2 },
    capabilities: { env: [], allowedHosts: [], volumes: [] },
    scaling: { minInstances: 1, maxInstances: 10, targetConcurrency: 8, scaleToZero: false },
    runtimeClass: 'default',
  },
  ref: REF,
  digest: D,
  trustPolicy: 'fleet',
  hostPaths: { allowed: [] },
  ...over,
});
const backends = [{ functionRef: 'hello', weight: 100 }];
const route = (name: string, over: Record<string, unknown> = {}) => ({
  namespace: 'shop',
  name,
  spec: { host: 'shop.example', pathPrefix: '/', methods: [], backends, timeoutMs: 30000, retries: { attempts: 0, retryOn: ['5xx'] }, auth: { type: 'none', claims: [], passCredential: false } },
  backends,
  ...over,
});
const natsSpec = { functionRef: 'hello', type: 'nats', nats: { url: 'nats://nats:4222', stream: 'S', subject: 'orders' }, retry: { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 30000, multiplier: 2 } }, concurrency: 1, filters: [], next: [] };
const trigger = (name: string, spec: Record<string, unknown> = natsSpec) => ({ namespace: 'shop', name, spec });
const remote = { function: 'shop/far', endpoints: ['http://10.0.0.2:8080'] };
const doc = (over: Record<string, unknown> = {}) => ({ node: 'n1', functions: [fn('hello')], dormant: [], remote: [remote], routes: [route('r')], triggers: [trigger('t')], ...over });
const read = (d: unknown) => parseAssignment(JSON.stringify(d), 'n1');
const entries = (a: object) => ['functions', 'dormant', 'remote', 'routes', 'triggers'].reduce((n, list) => n + ((a as Record<string, unknown[]>)[list]?.length ?? 0), 0);

describe('parseAssignment', () => {
  it('reads what the operator writes, unchanged', () => {
    expect(read(doc())).toEqual({ assignment: doc(), issues: [] });
  });

  it('an empty text is an empty assignment: no ConfigMap yet', () => {
    expect(parseAssignment('', 'n1')).toEqual({ assignment: emptyAssignment('n1'), issues: [] });
  });

  it('fills the spec defaults the CRD declares', () => {
    const { assignment } = read(doc({ functions: [fn('hello', { spec: {} })] }));
    expect(assignment.functions[0]?.spec).toMatchObject({ abi: 'wasi-preview1-wagi', limits: { memoryPages: 256, timeoutMs: 5000, concurrency: 8 }, scaling: { minInstances: 1, scaleToZero: false } });
  });

  it.each([
    { name: 'not JSON', text: '{', error: 'assignment.json: expected JSON, got a parse error' },
    { name: 'not an object', text: '[]', error: 'assignment.json: expected an object { node, functions, dormant, remote, routes, triggers }, got []' },
    { name: 'for another node', text: JSON.stringify(doc({ node: 'n2' })), error: 'assignment.json: expected node "n1", got "n2"' },
    { name: 'a list that is not one', text: JSON.stringify(doc({ functions: {} })), error: 'assignment.json: functions must be of type "array", got {}' },
    { name: 'a list missing', text: JSON.stringify({ ...doc(), remote: undefined }), error: 'assignment.json: remote is required; set it' },
    { name: 'an unknown field', text: JSON.stringify(doc({ extra: 1 })), error: 'assignment.json: extra is an unknown field; remove it (known fields of the object: node, functions, dormant, remote, routes, triggers)' },
  ])('refuses an assignment $name, naming what was expected', ({ text, error }) => {
    expect(() => parseAssignment(text, 'n1')).toThrow(error);
  });

  it.each([
    { name: 'limits outside the schema', d: doc({ functions: [fn('hello'), fn('bad', { spec: { ...fn('bad').spec, limits: { memoryPages: 0 } } })] }), issue: 'functions[1] shop/bad left out: functions[1].spec.limits.memoryPages must be >= 1, got 0' },
    { name: 'an unknown spec field', d: doc({ functions: [fn('hello'), fn('bad', { spec: { ...fn('bad').spec, gpu: true } })] }), issue: 'functions[1].spec.gpu is an unknown field' },
    { name: 'its declared module (the node runs ref)', d: doc({ functions: [fn('hello'), fn('bad', { spec: { ...fn('bad').spec, module: { ref: REF } } })] }), issue: 'functions[1].spec.module is an unknown field' },
    { name: 'a spec CEL rule broken', d: doc({ functions: [fn('hello'), fn('bad', { spec: { ...fn('bad').spec, capabilities: { volumes: [{ name: 'v', hostPath: '/data/../etc', mountPath: '/d' }] } } })] }), issue: 'functions[1].spec.capabilities.volumes[0].hostPath: capabilities.volumes[].hostPath must be a normalized absolute path' },
    { name: 'a volume of /proc', d: doc({ functions: [fn('hello'), fn('bad', { spec: { ...fn('bad').spec, capabilities: { volumes: [{ name: 'v', hostPath: '/proc', mountPath: '/d' }] } } })] }), issue: 'functions[1].spec.capabilities.volumes[0].hostPath: capabilities.volumes[].hostPath must not be / or under /proc' },
    { name: 'a host path ceiling allowing /sys', d: doc({ functions: [fn('hello'), fn('bad', { hostPaths: { allowed: [{ path: '/sys' }] } })] }), issue: 'functions[1].hostPaths.allowed[0].path: hostPaths.allowed[].path must not be / or under /proc' },
    { name: 'a module that is not pinned', d: doc({ functions: [fn('hello'), fn('bad', { ref: 'registry.example/shop/bad:v1' })] }), issue: 'functions[1].ref must match' },
    { name: 'a module pinned to another digest', d: doc({ functions: [fn('hello'), fn('bad', { digest: `sha256:${'b'.repeat(64)}` })] }), issue: 'functions[1].ref: ref must be pinned to digest' },
    { name: 'the old field-by-field shape', d: doc({ functions: [fn('hello'), { namespace: 'shop', name: 'old', uid: 'u', generation: 1, ref: REF, digest: D, abi: 'wasi-preview1-wagi', limits: {}, capabilities: {}, trustPolicy: 'fleet' }] }), issue: 'functions[1].spec is required' },
    { name: 'a duplicate', d: doc({ functions: [fn('hello'), fn('hello')] }), issue: 'functions[1] shop/hello left out: functions[1] duplicates namespace, name ["shop","hello"]' },
    { name: 'an entry that is not an object', d: doc({ dormant: [42] }), issue: 'dormant[0] left out: dormant[0] must be of type "object", got 42' },
    { name: 'a remote function without endpoints', d: doc({ remote: [{ function: 'shop/far', endpoints: [] }] }), issue: 'remote[0] shop/far left out: remote[0].endpoints must have at least 1 items, got 0' },
    { name: 'a remote function that is not namespace/name', d: doc({ remote: [{ function: 'far', endpoints: ['http://10.0.0.2:8080'] }] }), issue: 'remote[0].function must match' },
    { name: 'a route without backends here', d: doc({ routes: [route('r', { backends: [] })] }), issue: 'routes[0] shop/r left out: routes[0].backends must have at least 1 items, got 0' },
    { name: 'a route spec broken', d: doc({ routes: [route('r', { spec: { ...route('r').spec, backends: [{ functionRef: 'hello', weight: 60 }] } })] }), issue: 'routes[0] shop/r left out: routes[0].spec.backends: the weights of spec.backends must sum to 100' },
    { name: 'a trigger without its source', d: doc({ triggers: [trigger('t', { ...natsSpec, nats: undefined })] }), issue: 'triggers[0].spec.nats: spec.nats must be set when type is nats' },
  ])('leaves out an entry with $name, says why, and keeps the rest', ({ d, issue }) => {
    const { assignment, issues } = read(d);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(issue);
    expect(entries(assignment)).toBe(entries(d) - 1);
  });

  it('leaves out every bad entry, also one whose rules are only checked once the others are gone', () => {
    // A structural error elsewhere stops the rules (CEL, list keys) being checked in the same round.
    const d = doc({ functions: [fn('hello'), fn('shape', { generation: -1 }), fn('rule', { digest: `sha256:${'c'.repeat(64)}` })] });
    const { assignment, issues } = read(d);
    expect(assignment.functions.map((f) => f.name)).toEqual(['hello']);
    expect(issues.map((i) => i.slice(0, i.indexOf(' left out')))).toEqual(['assignment.json: functions[1] shop/shape', 'assignment.json: functions[1] shop/rule']);
  });
});
