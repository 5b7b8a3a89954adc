/**
 * Desired state from the operator's NodeAssignment. Each assigned function, route and trigger is
 * rebuilt as the api/ object it came from and validated by api/ (a node trusts the API server, not
 * the shape of a ConfigMap someone may have edited), then goes through the same desiredStateFrom
 * as standalone manifests: one mapping from Flotilla objects to what the runtime runs. Pure.
 */
import { API_VERSION, validateFunctionRoute, validateFunctionTrigger, validateWasmFunction } from '../../api/index.ts';
import type { FunctionRoute, FunctionTrigger, NodeAssignment, ValidationResult, WasmFunction } from '../../api/index.ts';
import { formatReference, parseReference, withVersion } from '../../artifacts/index.ts';
import type { DesiredState } from '../resolve/desired-state.ts';
import { desiredStateFrom } from '../resolve/from-manifests.ts';

/** The module reference pinned to the digest the operator verified (a tag in spec.module.ref is never followed by the node). */
function pinned(ref: string, digest: string): string {
  return formatReference(withVersion(parseReference(ref), { digest }));
}

function accept<T>(what: string, result: ValidationResult<T>, issues: string[]): T[] {
  if (result.ok) return [result.value];
  issues.push(`${what}: ${result.errors.map((e) => e.message).join('; ')}; left out`);
  return [];
}

/** The objects an assignment stands for; each that does not validate is reported in `issues` and left out. */
export function objectsFrom(a: NodeAssignment, issues: string[]): { functions: WasmFunction[]; routes: FunctionRoute[]; triggers: FunctionTrigger[] } {
  const functions = a.functions.flatMap((f) => {
    const what = `assigned function ${f.namespace}/${f.name}`;
    let ref: string;
    try {
      ref = pinned(f.ref, f.digest);
    } catch (err) {
      issues.push(`${what}: module ${JSON.stringify(f.ref)} at ${JSON.stringify(f.digest)}: ${(err as Error).message}; left out`);
      return [];
    }
    const spec = { module: { ref }, abi: f.abi, limits: f.limits, capabilities: f.capabilities, ...(f.state !== undefined ? { state: f.state } : {}) };
    return accept(what, validateWasmFunction({ apiVersion: API_VERSION, kind: 'WasmFunction', metadata: { name: f.name, namespace: f.namespace }, spec }), issues);
  });
  const routes = a.routes.flatMap((r) => {
    const backends = (r.backends ?? []).map((b) => ({ functionRef: b.function.slice(b.function.indexOf('/') + 1), weight: b.weight }));
    const spec = { ...(r.spec as object), host: r.host, pathPrefix: r.pathPrefix, methods: r.methods, backends };
    return accept(`assigned route ${r.namespace}/${r.name}`, validateFunctionRoute({ apiVersion: API_VERSION, kind: 'FunctionRoute', metadata: { name: r.name, namespace: r.namespace }, spec }), issues);
  });
  const triggers = a.triggers.flatMap((t) =>
    accept(`assigned trigger ${t.namespace}/${t.name}`, validateFunctionTrigger({ apiVersion: API_VERSION, kind: 'FunctionTrigger', metadata: { name: t.name, namespace: t.namespace }, spec: t.spec }), issues),
  );
  return { functions, routes, triggers };
}

/** The node's desired state for an assignment; `issues` lists what was left out and why. */
export function desiredStateFromAssignment(a: NodeAssignment): { state: DesiredState; issues: string[] } {
  const issues: string[] = [];
  const objects = objectsFrom(a, issues);
  const built = desiredStateFrom({ ...objects, runtimes: [] });
  return { state: built.state, issues: [...issues, ...built.issues] };
}
