/**
 * Desired state from Flotilla objects (validated and defaulted by api/): WasmFunctions become
 * FunctionDefs, FunctionRoutes RouteDefs, event FunctionTriggers pass through. Pure. A route
 * naming a missing function keeps its other backends and reports the gap, and a trigger naming a
 * missing function is left out with a report, so one mistake does not take the rest down.
 */
import { REUSE_ANNOTATION } from '../../api/index.ts';
import type { FlotillaManifests, FunctionRoute, FunctionTrigger, WasmFunction } from '../../api/index.ts';
import { parseReference, requireDigest } from '../../artifacts/index.ts';
import { grantsFrom } from '../capabilities/registry.ts';
import type { DesiredState, FunctionDef, RouteDef } from './desired-state.ts';

function keyOf(meta: { name: string; namespace?: string | undefined }): string {
  return `${meta.namespace ?? 'default'}/${meta.name}`;
}

function functionDef(fn: WasmFunction): FunctionDef {
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
    grants: grantsFrom(fn.spec),
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
  // Deny by default: a route that asks for authentication is not served until the node enforces it.
  if (route.spec.auth.type !== 'none') {
    issues.push(`FunctionRoute ${key}: auth type ${route.spec.auth.type} is not enforced by this node yet; the route is not served`);
    return undefined;
  }
  const backends = route.spec.backends
    .map((b) => ({ functionKey: `${ns}/${b.functionRef}`, weight: b.weight }))
    .filter((b) => {
      if (functions.has(b.functionKey) || remote.has(b.functionKey)) return true;
      issues.push(`FunctionRoute ${key}: backend ${b.functionKey} names no WasmFunction; its share of traffic is dropped`);
      return false;
    });
  if (backends.length === 0) return undefined;
  const { retries, circuitBreaker, rateLimit } = route.spec;
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
  };
}

/**
 * Builds the desired state; `issues` lists what was left out and why. `remote`: keys of functions
 * that run on other nodes (cluster mode), which routes may name as backends too.
 */
export function desiredStateFrom(m: FlotillaManifests, remote: ReadonlySet<string> = new Set()): { state: DesiredState; issues: string[] } {
  const issues: string[] = [];
  const functions = new Map<string, FunctionDef>();
  for (const fn of m.functions) {
    try {
      functions.set(keyOf(fn.metadata), functionDef(fn));
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
