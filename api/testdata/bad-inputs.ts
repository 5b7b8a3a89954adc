/**
 * Invalid objects, each with the field its rejection must name. The same table runs against the
 * runtime validator (api/validate.test.ts), the constructs (constructs/*.test.ts) and the real API
 * server (test/integration/api/), which proves the three agree.
 */
import { API_VERSION } from '../group.ts';
import type { FlotillaKind } from '../kinds.ts';

export const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
export const MODULE_REF = `registry.example:5000/functions/echo@${DIGEST}`;

type Json = Record<string, unknown>;

/** A valid object of each kind; bad inputs are patches of these. */
export const VALID: Record<FlotillaKind, Json> = {
  WasmFunction: { module: { ref: MODULE_REF } },
  WasmRuntime: { version: '0.1.0', trustPolicyRef: { name: 'fleet' } },
  FunctionTrigger: { functionRef: 'echo', type: 'cron', cron: { schedule: '*/5 * * * *' } },
  FunctionRoute: { host: 'echo.example', backends: [{ functionRef: 'echo', weight: 100 }] },
};

export interface BadInput {
  readonly name: string;
  readonly kind: FlotillaKind;
  /** metadata.name (default "bad"). */
  readonly objectName?: string;
  readonly spec: Json;
  /** A dotted field path that every rejection message must contain. */
  readonly field: string;
}

const fn = (spec: Json) => ({ ...VALID.WasmFunction, ...spec });
const trig = (spec: Json) => ({ ...VALID.FunctionTrigger, ...spec });
const route = (spec: Json) => ({ ...VALID.FunctionRoute, ...spec });
const rt = (spec: Json) => ({ ...VALID.WasmRuntime, ...spec });

export const BAD_INPUTS: readonly BadInput[] = [
  { name: 'module ref by tag', kind: 'WasmFunction', spec: fn({ module: { ref: 'registry.example/functions/echo:latest' } }), field: 'module.ref' },
  { name: 'module ref with short digest', kind: 'WasmFunction', spec: fn({ module: { ref: 'registry.example/functions/echo@sha256:abc' } }), field: 'module.ref' },
  { name: 'module ref with uppercase digest', kind: 'WasmFunction', spec: fn({ module: { ref: MODULE_REF.toUpperCase() } }), field: 'module.ref' },
  { name: 'missing module', kind: 'WasmFunction', spec: { abi: 'wasi-preview1-wagi' }, field: 'module' },
  { name: 'negative memory', kind: 'WasmFunction', spec: fn({ limits: { memoryPages: -5 } }), field: 'limits.memoryPages' },
  { name: 'memory beyond 4 GiB', kind: 'WasmFunction', spec: fn({ limits: { memoryPages: 70000 } }), field: 'limits.memoryPages' },
  { name: 'zero timeout', kind: 'WasmFunction', spec: fn({ limits: { timeoutMs: 0 } }), field: 'limits.timeoutMs' },
  { name: 'memory as string', kind: 'WasmFunction', spec: fn({ limits: { memoryPages: 'lots' } }), field: 'limits.memoryPages' },
  { name: 'unknown abi', kind: 'WasmFunction', spec: fn({ abi: 'wasi-preview2' }), field: 'abi' },
  { name: 'unknown field in spec', kind: 'WasmFunction', spec: fn({ replicas: 3 }), field: 'spec.replicas' },
  { name: 'unknown field in limits', kind: 'WasmFunction', spec: fn({ limits: { cpu: 2 } }), field: 'limits.cpu' },
  { name: 'min above max instances', kind: 'WasmFunction', spec: fn({ scaling: { minInstances: 5, maxInstances: 2 } }), field: 'scaling.minInstances' },
  { name: 'zero instances without scaleToZero', kind: 'WasmFunction', spec: fn({ scaling: { minInstances: 0 } }), field: 'scaling.minInstances' },
  { name: 'env var name with a dash', kind: 'WasmFunction', spec: fn({ capabilities: { env: [{ name: 'MY-VAR', value: 'x' }] } }), field: 'capabilities.env[0].name' },
  { name: 'duplicate env var', kind: 'WasmFunction', spec: fn({ capabilities: { env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] } }), field: 'spec.capabilities.env' },
  { name: 'allowed hosts (not supported: no outbound network yet)', kind: 'WasmFunction', spec: fn({ capabilities: { allowedHosts: ['*.api.example:8443', 'db.example'] } }), field: 'capabilities.allowedHosts' },
  { name: 'allowed host with scheme', kind: 'WasmFunction', spec: fn({ capabilities: { allowedHosts: ['https://api.example'] } }), field: 'capabilities.allowedHosts[0]' },
  { name: 'volume escaping with ..', kind: 'WasmFunction', spec: fn({ capabilities: { volumes: [{ name: 'data', hostPath: '/srv/../etc', mountPath: '/data' }] } }), field: 'volumes[0].hostPath' },
  { name: 'volume with a trailing slash', kind: 'WasmFunction', spec: fn({ capabilities: { volumes: [{ name: 'data', hostPath: '/srv/data/', mountPath: '/data' }] } }), field: 'volumes[0].hostPath' },
  { name: 'volume with //', kind: 'WasmFunction', spec: fn({ capabilities: { volumes: [{ name: 'data', hostPath: '/srv//data', mountPath: '/data' }] } }), field: 'volumes[0].hostPath' },
  { name: 'volume of /proc (the node environment)', kind: 'WasmFunction', spec: fn({ capabilities: { volumes: [{ name: 'data', hostPath: '/proc', mountPath: '/data' }] } }), field: 'volumes[0].hostPath' },
  { name: 'volume under /sys', kind: 'WasmFunction', spec: fn({ capabilities: { volumes: [{ name: 'data', hostPath: '/sys/kernel', mountPath: '/data' }] } }), field: 'volumes[0].hostPath' },
  { name: 'volume of the root', kind: 'WasmFunction', spec: fn({ capabilities: { volumes: [{ name: 'data', hostPath: '/', mountPath: '/data' }] } }), field: 'volumes[0].hostPath' },
  { name: 'unknown state store', kind: 'WasmFunction', spec: fn({ state: { store: 'redis' } }), field: 'state.store' },
  { name: 'state with a server address', kind: 'WasmFunction', spec: fn({ state: { store: 'nats', address: 'nats.example:4222' } }), field: 'state.address' },
  { name: 'unknown cron missed-run policy', kind: 'FunctionTrigger', spec: trig({ cron: { schedule: '@daily', missedRuns: 'RunAll' } }), field: 'cron.missedRuns' },
  { name: 'oversized name', kind: 'WasmFunction', objectName: `f${'x'.repeat(70)}`, spec: fn({}), field: 'metadata.name' },
  { name: 'unknown trigger type', kind: 'FunctionTrigger', spec: trig({ type: 'kafka' }), field: 'type' },
  { name: 'bad cron minute', kind: 'FunctionTrigger', spec: trig({ cron: { schedule: '61 * * * *' } }), field: 'cron.schedule' },
  { name: 'cron with four fields', kind: 'FunctionTrigger', spec: trig({ cron: { schedule: '* * * *' } }), field: 'cron.schedule' },
  { name: 'cron type without cron block', kind: 'FunctionTrigger', spec: { functionRef: 'echo', type: 'cron' }, field: 'spec.cron' },
  { name: 'nats block on a cron trigger', kind: 'FunctionTrigger', spec: trig({ nats: { url: 'nats://127.0.0.1:4222', stream: 'S', subject: 'a.b' } }), field: 'spec.nats' },
  { name: 'dead letter on a cron trigger', kind: 'FunctionTrigger', spec: trig({ deadLetter: { target: 'dlq' } }), field: 'deadLetter' },
  { name: 'backoff initial above max', kind: 'FunctionTrigger', spec: trig({ retry: { backoff: { initialMs: 5000, maxMs: 100 } } }), field: 'backoff.initialMs' },
  { name: 'mqtt qos 3', kind: 'FunctionTrigger', spec: { functionRef: 'echo', type: 'mqtt', mqtt: { url: 'mqtt://127.0.0.1:1883', topic: 't', qos: 3 } }, field: 'mqtt.qos' },
  { name: 'chain to itself', kind: 'FunctionTrigger', spec: trig({ next: [{ functionRef: 'echo' }] }), field: 'spec.next' },
  { name: 'weights not summing to 100', kind: 'FunctionRoute', spec: route({ backends: [{ functionRef: 'a', weight: 50 }, { functionRef: 'b', weight: 40 }] }), field: 'spec.backends' },
  { name: 'weight above 100', kind: 'FunctionRoute', spec: route({ backends: [{ functionRef: 'a', weight: 150 }] }), field: 'backends[0].weight' },
  { name: 'no backends', kind: 'FunctionRoute', spec: route({ backends: [] }), field: 'spec.backends' },
  { name: 'duplicate backend', kind: 'FunctionRoute', spec: route({ backends: [{ functionRef: 'a', weight: 50 }, { functionRef: 'a', weight: 50 }] }), field: 'spec.backends' },
  { name: 'path without leading slash', kind: 'FunctionRoute', spec: route({ pathPrefix: 'api' }), field: 'pathPrefix' },
  { name: 'unknown method', kind: 'FunctionRoute', spec: route({ methods: ['FETCH'] }), field: 'methods[0]' },
  { name: 'uppercase host', kind: 'FunctionRoute', spec: route({ host: 'Echo.Example' }), field: 'spec.host' },
  { name: 'jwt auth without its settings', kind: 'FunctionRoute', spec: route({ auth: { type: 'jwt' } }), field: 'auth.jwt' },
  { name: 'jwt auth with two key sources', kind: 'FunctionRoute', spec: route({ auth: { type: 'jwt', jwt: { issuer: 'https://i', audiences: ['a'], jwks: '{"keys":[]}', jwksUri: 'https://i/jwks' } } }), field: 'auth.jwt.jwksUri' },
  { name: 'jwt auth with alg none', kind: 'FunctionRoute', spec: route({ auth: { type: 'jwt', jwt: { issuer: 'https://i', audiences: ['a'], jwksUri: 'https://i/jwks', algorithms: ['none'] } } }), field: 'auth.jwt.algorithms[0]' },
  { name: 'apiKey auth without its Secret', kind: 'FunctionRoute', spec: route({ auth: { type: 'apiKey' } }), field: 'auth.apiKey' },
  { name: 'claim in a client header variable', kind: 'FunctionRoute', spec: route({ auth: { type: 'apiKey', apiKey: { secretRef: 'keys' }, claims: [{ claim: 'sub', env: 'HTTP_X_USER' }] } }), field: 'auth.claims[0].env' },
  { name: 'claim in AUTH_TYPE', kind: 'FunctionRoute', spec: route({ auth: { type: 'apiKey', apiKey: { secretRef: 'keys' }, claims: [{ claim: 'sub', env: 'AUTH_TYPE' }] } }), field: 'auth.claims[0].env' },
  { name: 'burst below rate', kind: 'FunctionRoute', spec: route({ rateLimit: { requestsPerSecond: 100, burst: 10 } }), field: 'rateLimit.burst' },
  { name: 'per-try timeout above total', kind: 'FunctionRoute', spec: route({ timeoutMs: 1000, retries: { attempts: 2, perTryTimeoutMs: 5000 } }), field: 'retries.perTryTimeoutMs' },
  { name: 'runtime nodePort with type HostPort', kind: 'WasmRuntime', spec: rt({ service: { type: 'HostPort', nodePort: 30080 } }), field: 'service.nodePort' },
  { name: 'runtime hostPort with type NodePort', kind: 'WasmRuntime', spec: rt({ service: { hostPort: 80 } }), field: 'service.hostPort' },
  { name: 'runtime nodePort outside the NodePort range', kind: 'WasmRuntime', spec: rt({ service: { nodePort: 8080 } }), field: 'service.nodePort' },
  { name: 'runtime stack too small for a worker thread', kind: 'WasmRuntime', spec: rt({ engine: { stackSizeKb: 256 } }), field: 'engine.stackSizeKb' },
  { name: 'runtime NATS over http', kind: 'WasmRuntime', spec: rt({ nats: { url: 'http://nats:4222' } }), field: 'nats.url' },
  { name: 'runtime version not semver', kind: 'WasmRuntime', spec: rt({ version: 'latest' }), field: 'spec.version' },
  { name: 'runtime without trust policy', kind: 'WasmRuntime', spec: { version: '0.1.0' }, field: 'trustPolicyRef' },
  { name: 'runtime allowing /dev', kind: 'WasmRuntime', spec: rt({ hostPaths: { allowed: [{ path: '/dev' }] } }), field: 'hostPaths.allowed[0].path' },
  { name: 'runtime allowing a path with ..', kind: 'WasmRuntime', spec: rt({ hostPaths: { allowed: [{ path: '/srv/../proc' }] } }), field: 'hostPaths.allowed[0].path' },
  { name: 'runtime allowing a relative path', kind: 'WasmRuntime', spec: rt({ hostPaths: { allowed: [{ path: 'srv/data' }] } }), field: 'hostPaths.allowed[0].path' },
];

/** The full object of a bad input. */
export function badObject(b: BadInput, namespace?: string): Json {
  return {
    apiVersion: API_VERSION,
    kind: b.kind,
    metadata: { name: b.objectName ?? 'bad', ...(namespace === undefined ? {} : { namespace }) },
    spec: b.spec,
  };
}

/** Edge cases that must be ACCEPTED by both the API server and the validator (the rules are not too strict). */
export const GOOD_INPUTS: readonly BadInput[] = [
  { name: 'loopback registry with port', kind: 'WasmFunction', spec: fn({ module: { ref: `127.0.0.1:5000/fn/echo@${DIGEST}` } }), field: '' },
  { name: 'nested repository path', kind: 'WasmFunction', spec: fn({ module: { ref: `registry.example/team/sub_dir/echo-fn@${DIGEST}` } }), field: '' },
  { name: 'scale to zero', kind: 'WasmFunction', spec: fn({ scaling: { minInstances: 0, scaleToZero: true } }), field: '' },
  { name: 'shared nats state', kind: 'WasmFunction', spec: fn({ state: { store: 'nats' } }), field: '' },
  { name: 'state with the default store', kind: 'WasmFunction', spec: fn({ state: {} }), field: '' },
  { name: 'cron that skips missed runs', kind: 'FunctionTrigger', spec: trig({ cron: { schedule: '@daily', missedRuns: 'Skip' } }), field: '' },
  { name: 'cron macro', kind: 'FunctionTrigger', spec: trig({ cron: { schedule: '@daily' } }), field: '' },
  { name: 'cron lists ranges steps', kind: 'FunctionTrigger', spec: trig({ cron: { schedule: '0,30 8-18/2 1-15 1,6,12 1-5' } }), field: '' },
  { name: 'cron upper bounds', kind: 'FunctionTrigger', spec: trig({ cron: { schedule: '59 23 31 12 7' } }), field: '' },
  { name: 'nats with dead letter and filters', kind: 'FunctionTrigger', spec: { functionRef: 'echo', type: 'nats', nats: { url: 'nats://127.0.0.1:4222', stream: 'S', subject: 'a.>' }, deadLetter: { target: 'dlq' }, filters: [{ key: 'tenant', operator: 'Exists' }] }, field: '' },
  { name: 'jwt auth from a JWKS URL with scopes', kind: 'FunctionRoute', spec: route({ auth: { type: 'jwt', jwt: { issuer: 'https://i', audiences: ['a'], jwksUri: 'https://i/jwks', requiredScopes: ['orders:write'] }, claims: [{ claim: 'email', env: 'AUTH_EMAIL' }], passCredential: true } }), field: '' },
  { name: 'canary weights', kind: 'FunctionRoute', spec: route({ backends: [{ functionRef: 'a', weight: 90 }, { functionRef: 'b', weight: 10 }] }), field: '' },
  { name: 'wildcard host with auth and rate limit', kind: 'FunctionRoute', spec: route({ host: '*.edge.example', auth: { type: 'apiKey', apiKey: { secretRef: 'keys' }, claims: [{ claim: 'sub', env: 'AUTH_CLIENT' }] }, rateLimit: { requestsPerSecond: 10, burst: 10 } }), field: '' },
  { name: 'runtime on host port 80 with NATS', kind: 'WasmRuntime', spec: rt({ service: { type: 'HostPort', hostPort: 80 }, nats: { url: 'nats://flotilla-nats.flotilla-system.svc:4222' }, ceilings: { memoryPages: 256 }, version: 'v1.2.3-rc.1' }), field: '' },
  { name: 'runtime with a chosen nodePort', kind: 'WasmRuntime', spec: rt({ service: { nodePort: 30080 }, capacity: { functions: 0 } }), field: '' },
];
