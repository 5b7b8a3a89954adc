/**
 * The admission ceilings table, shared by the unit test (the policy's CEL evaluated in-process)
 * and the integration test (the same objects against the real API server), so both judge the
 * same cases and expect the same messages.
 */
import type { ValidatingAdmissionPolicy } from '../admission.ts';
import { evaluateCel, toCel } from '../cel.ts';
import { API_VERSION } from '../group.ts';
import { validateWasmFunction, validateWasmRuntime } from '../validators.ts';
import { MODULE_REF, VALID } from './bad-inputs.ts';

type Json = Record<string, unknown>;

/** The pools of the table, by name (WasmRuntime specs). */
export const POOLS: Readonly<Record<string, Json>> = {
  default: {
    ...VALID.WasmRuntime,
    ceilings: { memoryPages: 1024, timeoutMs: 10000, concurrency: 16 },
    hostPaths: { allowed: [{ path: '/srv/data', readOnly: true }, { path: '/var/lib/fn', readOnly: false }] },
  },
  large: { ...VALID.WasmRuntime, ceilings: { memoryPages: 8192 } },
  // Below the WasmFunction CRD's default of 256 pages: a function that omits memoryPages is over it.
  tight: { ...VALID.WasmRuntime, ceilings: { memoryPages: 128 } },
};

export interface CeilingCase {
  readonly name: string;
  /** WasmFunction spec (module.ref added). */
  readonly spec: Json;
  /** Every failing validation's message, in policy order, given the namespace (the API server reports the first); empty: admitted. */
  readonly refused: (ns: string) => string[];
}

const fn = (spec: Json): Json => ({ module: { ref: MODULE_REF }, ...spec });
const pool = (ns: string, name: string) => `WasmRuntime ${ns}/${name}`;
const over = (field: string, asked: number, ns: string, name: string, ceiling: number) =>
  `spec.limits.${field} ${asked} exceeds ${pool(ns, name)} spec.ceilings.${field} ${ceiling}: lower it or raise the pool's ceiling`;
const vol = (name: string, hostPath: string, readOnly = true) => ({ name, hostPath, mountPath: `/${name}`, readOnly });
const none = () => [];

export const CEILING_CASES: readonly CeilingCase[] = [
  {
    name: 'at every ceiling, volumes under allowed entries',
    spec: fn({ runtimeClass: 'default', limits: { memoryPages: 1024, timeoutMs: 10000, concurrency: 16 }, capabilities: { volumes: [vol('data', '/srv/data/in'), vol('state', '/var/lib/fn', false)] } }),
    refused: none,
  },
  { name: 'memoryPages over the ceiling', spec: fn({ runtimeClass: 'default', limits: { memoryPages: 4096 } }), refused: (ns) => [over('memoryPages', 4096, ns, 'default', 1024)] },
  { name: 'timeoutMs over the ceiling', spec: fn({ runtimeClass: 'default', limits: { timeoutMs: 60000 } }), refused: (ns) => [over('timeoutMs', 60000, ns, 'default', 10000)] },
  { name: 'concurrency over the ceiling', spec: fn({ runtimeClass: 'default', limits: { concurrency: 100 } }), refused: (ns) => [over('concurrency', 100, ns, 'default', 16)] },
  { name: "over default's ceiling, within its own pool's", spec: fn({ runtimeClass: 'large', limits: { memoryPages: 4096 } }), refused: none },
  { name: 'omitted limits: the CRD default (256 pages) is judged', spec: fn({ runtimeClass: 'tight' }), refused: (ns) => [over('memoryPages', 256, ns, 'tight', 128)] },
  { name: 'a pool that does not exist: no ceiling judges it', spec: fn({ runtimeClass: 'missing', limits: { memoryPages: 65536 } }), refused: none },
  {
    name: 'host path outside the allow-list',
    spec: fn({ runtimeClass: 'default', capabilities: { volumes: [vol('etc', '/etc'), vol('ok', '/srv/data')] } }),
    refused: (ns) => [`spec.capabilities.volumes etc (/etc) not at or below an entry of ${pool(ns, 'default')} spec.hostPaths.allowed (/srv/data, /var/lib/fn): add the directory there or use an allowed one`],
  },
  {
    name: 'host path sharing a prefix but not a path component',
    spec: fn({ runtimeClass: 'default', capabilities: { volumes: [vol('data2', '/srv/data2')] } }),
    refused: (ns) => [`spec.capabilities.volumes data2 (/srv/data2) not at or below an entry of ${pool(ns, 'default')} spec.hostPaths.allowed (/srv/data, /var/lib/fn): add the directory there or use an allowed one`],
  },
  {
    name: 'read-write volume under a read-only entry',
    spec: fn({ runtimeClass: 'default', capabilities: { volumes: [vol('data', '/srv/data/out', false)] } }),
    refused: (ns) => [`spec.capabilities.volumes data (/srv/data/out) readOnly: false, but ${pool(ns, 'default')} spec.hostPaths.allowed allows them read-only only: set readOnly: true on the volume or readOnly: false on the allowed entry`],
  },
  {
    name: 'any host path in a pool without an allow-list',
    spec: fn({ runtimeClass: 'large', capabilities: { volumes: [vol('data', '/srv/data')] } }),
    refused: (ns) => [`spec.capabilities.volumes data (/srv/data) not at or below an entry of ${pool(ns, 'large')} spec.hostPaths.allowed (empty: no host paths): add the directory there or use an allowed one`],
  },
  {
    name: 'two ceilings at once',
    spec: fn({ runtimeClass: 'default', limits: { memoryPages: 2048, concurrency: 17 } }),
    refused: (ns) => [over('memoryPages', 2048, ns, 'default', 1024), over('concurrency', 17, ns, 'default', 16)],
  },
];

/** A WasmFunction / WasmRuntime object of the table in `ns`, as written (not defaulted). */
export function functionObject(name: string, ns: string, spec: Json): Json {
  return { apiVersion: API_VERSION, kind: 'WasmFunction', metadata: { name, namespace: ns }, spec };
}
export function runtimeObject(name: string, ns: string, spec: Json): Json {
  return { apiVersion: API_VERSION, kind: 'WasmRuntime', metadata: { name, namespace: ns }, spec };
}

function defaulted<T>(r: { ok: true; value: T } | { ok: false; errors: readonly { message: string }[] }): T {
  if (!r.ok) throw new Error(`table object is invalid: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.value;
}

/**
 * The policy as the API server runs it, in-process: the objects defaulted by their CRD schemas
 * first (as the API server does before admission), then for each param the match conditions, the
 * variables and every validation; the messages of the failed ones, in order.
 */
export function judge(policy: ValidatingAdmissionPolicy, object: Json, params: readonly Json[], oldObject?: Json): string[] {
  const obj = toCel(defaulted(validateWasmFunction(object)));
  const old = oldObject === undefined ? null : toCel(defaulted(validateWasmFunction(oldObject)));
  const base = { object: obj, oldObject: old };
  if (!policy.spec.matchConditions.every((c) => evaluateCel(c.expression, base) === true)) return [];
  return params.flatMap((p) => {
    const vars = { ...base, params: toCel(defaulted(validateWasmRuntime(p))), variables: {} as Record<string, unknown> };
    for (const v of policy.spec.variables) vars.variables[v.name] = evaluateCel(v.expression, vars);
    return policy.spec.validations.filter((v) => evaluateCel(v.expression, vars) !== true).map((v) => String(evaluateCel(v.messageExpression, vars)));
  });
}
