/**
 * Desired state from Flotilla objects (validated and defaulted by api/): WasmFunctions become
 * FunctionDefs (their grants within their WasmRuntime's ceilings), FunctionRoutes RouteDefs, event
 * FunctionTriggers pass through. Pure. A route naming a missing function keeps its other backends
 * and reports the gap, and a trigger naming a missing function is left out with a report, so one
 * mistake does not take the rest down.
 */
import { REUSE_ANNOTATION } from '../../api/index.ts';
import type { FlotillaManifests, FunctionRoute, FunctionTrigger, WasmFunction, WasmRuntime } from '../../api/index.ts';
import { parseReference, requireDigest } from '../../artifacts/index.ts';
import type { PoolCeilings } from '../capabilities/capability.ts';
import { grantsFrom } from '../capabilities/registry.ts';
import type { DesiredState, FunctionDef, RouteDef } from './desired-state.ts';

function keyOf(meta: { name: string; namespace?: string | undefined }): string {
  return `${meta.namespace ?? 'default'}/${meta.name}`;
}

/** The pool of one function: what its WasmRuntime allows (grants stay within it). */
export type PoolOf = (fn: WasmFunction) => PoolCeilings;

/** Pools from the WasmRuntime objects beside the functions; a function naming none gets no host paths. */
function poolsFrom(runtimes: readonly WasmRuntime[]): PoolOf {
  const byKey = new Map(runtimes.map((r) => [keyOf(r.metadata), r.spec.hostPaths] as const));
  return (fn) => {
    const key = keyOf({ namespace: fn.metadata.namespace, name: fn.spec.runtimeClass });
    const hostPaths = byKey.get(key);
    return hostPaths ? { name: `WasmRuntime ${key}`, hostPaths } : { name: `WasmRuntime ${key} (not in the manifests)`, hostPaths: { allowed: [] } };
  };
}

function functionDef(fn: WasmFunction, pool: PoolCeilings): FunctionDef {
  const ref = parseReference(fn.spec.module.ref);
  const { limits, capabilities } = fn.spec;
  return {
    key: keyOf(fn.metadata),
    module: { kind: 'oci', ref, digest: requireDigest(ref), text: fn.spec.module.ref },
    memoryPages: limits.memoryPages,
    timeoutMs: limits.timeoutMs,
    concurrency: limits.concurrency,
    env: capabilities.env.map((e) => ({ name: e.name, value: e.value })),
    reuse: fn.metadata.annotations?.[REUSE_ANNOTATION] === 'true',
    grants: grantsFrom(fn.spec, pool),
  };
}

/** The event triggers to run: http ones are routes' business; one naming a missing function cannot run. */
function eventTriggers(triggers: readonly FunctionTrigger[], functions: ReadonlyMap<string, FunctionDef>, issues: string[]): FunctionTrigger[] {
  return triggers.filter((t) => {
    if (t.spec.type === 'http') return false;
    const ns = t.metadata.namespace ?? 'default';
    if (functions.has(`${ns}/${t.spec.functionRef}`)) return true;
    issues.push(`FunctionTrigger ${keyOf(t.metadata)}: function ${ns}/${t.spec.functionRef} names no WasmFunction; the trigger does not run`);
    return false;
  });
}

function routeDef(route: FunctionRoute, functions: ReadonlyMap<string, FunctionDef>, remote: ReadonlySet<string>, issues: string[]): RouteDef | undefined {
  const ns = route.metadata.namespace ?? 'default';
  const key = keyOf(route.metadata);
  const backends = route.spec.backends
    .map((b) => ({ functionKey: `${ns}/${b.functionRef}`, weight: b.weight }))
    .filter((b) => {
      if (functions.has(b.functionKey) || remote.has(b.functionKey)) return true;
      issues.push(`FunctionRoute ${key}: backend ${b.functionKey} names no WasmFunction; its share of traffic is dropped`);
      return false;
    });
  if (backends.length === 0) return undefined;
  const { retries, circuitBreaker, rateLimit, auth } = route.spec;
  return {
    key,
    host: route.spec.host,
    pathPrefix: route.spec.pathPrefix,
    methods: [...route.spec.methods],
    backends,
    timeoutMs: route.spec.timeoutMs,
    // attempts 0 (the default) without a per-try timeout is no retry policy at all.
    ...(retries.attempts > 0 || retries.perTryTimeoutMs !== undefined ? { retries } : {}),
    ...(circuitBreaker ? { circuitBreaker } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(auth.type !== 'none' ? { auth } : {}),
  };
}

/**
 * Builds the desired state; `issues` lists what was left out and why. `remote`: keys of functions
 * that run on other nodes (cluster mode), which routes may name as backends too. `poolOf`: each
 * function's pool ceilings, by default from the manifests' WasmRuntimes.
 */
export function desiredStateFrom(m: FlotillaManifests, remote: ReadonlySet<string> = new Set(), poolOf: PoolOf = poolsFrom(m.runtimes)): { state: DesiredState; issues: string[] } {
  const issues: string[] = [];
  const functions = new Map<string, FunctionDef>();
  for (const fn of m.functions) {
    try {
      functions.set(keyOf(fn.metadata), functionDef(fn, poolOf(fn)));
    } catch (err) {
      issues.push(`WasmFunction ${keyOf(fn.metadata)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const routes: RouteDef[] = [];
  for (const r of m.routes) {
    const def = routeDef(r, functions, remote, issues);
    if (def) routes.push(def);
  }
  return { state: { functions, routes, triggers: eventTriggers(m.triggers, functions, issues) }, issues };
}
