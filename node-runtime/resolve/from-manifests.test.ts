import { describe, expect, it } from 'vitest';
import { groupByKind, parseManifests } from '../../api/index.ts';
import { desiredStateFrom } from './from-manifests.ts';

const digest = `sha256:${'a'.repeat(64)}`;
const fn = (name: string, extra = '') => `apiVersion: flotilla.dev/v1alpha1
kind: WasmFunction
metadata:
  name: ${name}
  namespace: edge${extra}
spec:
  module:
    ref: registry.local/fns/${name}@${digest}
  limits:
    memoryPages: 32
    timeoutMs: 900
  capabilities:
    env:
      - name: MODE
        value: fast
    volumes:
      - name: data
        hostPath: /srv/data
        mountPath: /data
`;
const route = (name: string, backends: string, auth = '') => `apiVersion: flotilla.dev/v1alpha1
kind: FunctionRoute
metadata:
  name: ${name}
  namespace: edge
spec:
  host: api.example.com
  pathPrefix: /${name}
  methods: [GET]
  backends:
${backends}${auth}
`;

function state(yaml: string) {
  return desiredStateFrom(groupByKind(parseManifests(yaml)));
}

describe('desiredStateFrom', () => {
  it('maps a WasmFunction to a FunctionDef with its limits and grants', () => {
    const { state: s, issues } = state(fn('hello', '\n  annotations:\n    flotilla.dev/instance-reuse: "true"'));
    expect(issues).toEqual([]);
    expect(s.functions.get('edge/hello')).toMatchObject({
      key: 'edge/hello',
      module: { kind: 'oci', digest, text: `registry.local/fns/hello@${digest}` },
      memoryPages: 32,
      timeoutMs: 900,
      concurrency: 8,
      env: [{ name: 'MODE', value: 'fast' }],
      reuse: true,
      grants: { wasi: { dirs: [{ guestPath: '/data', hostPath: '/srv/data', readOnly: true, grantedAs: 'spec.capabilities.volumes data' }] } },
    });
  });

  it("binds volumes to the host path ceiling of the function's WasmRuntime in the manifests, none without one", () => {
    const runtime = `apiVersion: flotilla.dev/v1alpha1
kind: WasmRuntime
metadata:
  name: default
  namespace: edge
spec:
  version: 0.1.0
  trustPolicyRef:
    name: fleet
  hostPaths:
    allowed:
      - path: /srv
`;
    const bound = state(`${fn('hello')}---\n${runtime}`).state.functions.get('edge/hello')?.grants.wasi;
    expect(bound).toMatchObject({ allowed: [{ path: '/srv', readOnly: true }], allowedBy: 'WasmRuntime edge/default spec.hostPaths.allowed' });
    const alone = state(fn('hello')).state.functions.get('edge/hello')?.grants.wasi;
    expect(alone).toMatchObject({ allowed: [], allowedBy: 'WasmRuntime edge/default (not in the manifests) spec.hostPaths.allowed' });
  });

  it('keeps the known backends of a route and reports the missing one', () => {
    const { state: s, issues } = state(`${fn('a')}---\n${route('r', '    - functionRef: a\n      weight: 90\n    - functionRef: ghost\n      weight: 10')}`);
    expect(s.routes).toEqual([{ key: 'edge/r', host: 'api.example.com', pathPrefix: '/r', methods: ['GET'], backends: [{ functionKey: 'edge/a', weight: 90 }], timeoutMs: 30000 }]);
    expect(issues).toEqual(['FunctionRoute edge/r: backend edge/ghost names no WasmFunction; its share of traffic is dropped']);
  });

  it('carries the route policies the node enforces; default retries (attempts 0) are none', () => {
    const policies = '\n  timeoutMs: 2000\n  retries:\n    attempts: 2\n    perTryTimeoutMs: 500\n    retryOn: [timeout]\n  circuitBreaker:\n    consecutiveErrors: 3\n  rateLimit:\n    requestsPerSecond: 5\n    burst: 10';
    const { state: s } = state(`${fn('a')}---\n${route('r', '    - functionRef: a\n      weight: 100', policies)}---\n${route('plain', '    - functionRef: a\n      weight: 100')}`);
    expect(s.routes[0]).toMatchObject({ timeoutMs: 2000, retries: { attempts: 2, perTryTimeoutMs: 500, retryOn: ['timeout'] }, circuitBreaker: { consecutiveErrors: 3, openMs: 30000 }, rateLimit: { requestsPerSecond: 5, burst: 10 } });
    expect(s.routes[1]?.retries).toBeUndefined();
    expect(s.routes[1]?.circuitBreaker).toBeUndefined();
    expect(s.routes[1]?.rateLimit).toBeUndefined();
  });

  it('serves a route that requires authentication with its auth, and one without auth without any', () => {
    const { state: s, issues } = state(`${fn('a')}---\n${route('secure', '    - functionRef: a\n      weight: 100', '\n  auth:\n    type: apiKey\n    apiKey:\n      secretRef: tokens')}---\n${route('open', '    - functionRef: a\n      weight: 100')}`);
    expect(issues).toEqual([]);
    expect(s.routes.map((r) => [r.key, r.auth?.type])).toEqual([['edge/secure', 'apiKey'], ['edge/open', undefined]]);
    expect(s.routes[0]?.auth?.apiKey).toEqual({ header: 'x-api-key', secretRef: 'tokens' });
  });

  it('binds a function to its state store: none, disk by default, nats when asked', () => {
    const { state: s } = state(`${fn('plain')}---\n${fn('local')}  state: {}\n---\n${fn('shared')}  state:\n    store: nats\n`);
    expect(s.functions.get('edge/plain')?.grants.kv).toBeUndefined();
    expect(s.functions.get('edge/local')?.grants.kv).toEqual({ store: 'disk' });
    expect(s.functions.get('edge/shared')?.grants.kv).toEqual({ store: 'nats' });
  });

  it('passes event triggers through with their defaults, leaves out http ones and those naming no function', () => {
    const trig = (name: string, body: string) => `apiVersion: flotilla.dev/v1alpha1\nkind: FunctionTrigger\nmetadata:\n  name: ${name}\n  namespace: edge\nspec:\n${body}`;
    const { state: s, issues } = state([
      fn('a'),
      trig('orders', '  functionRef: a\n  type: nats\n  nats:\n    url: nats://127.0.0.1:4222\n    stream: ORDERS\n    subject: orders.>\n'),
      trig('nightly', '  functionRef: a\n  type: cron\n  cron:\n    schedule: "@daily"\n'),
      trig('web', '  functionRef: a\n  type: http\n  http:\n    routeRef: r\n'),
      trig('lost', '  functionRef: ghost\n  type: cron\n  cron:\n    schedule: "@daily"\n'),
    ].join('---\n'));
    expect(s.triggers.map((t) => t.metadata.name)).toEqual(['orders', 'nightly']);
    expect(s.triggers[1]?.spec.cron).toEqual({ schedule: '@daily', timeZone: 'UTC', payload: '', missedRuns: 'RunOnce' });
    expect(issues).toEqual(['FunctionTrigger edge/lost: function edge/ghost names no WasmFunction; the trigger does not run']);
  });
});
