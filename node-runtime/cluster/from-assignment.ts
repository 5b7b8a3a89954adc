/**
 * Desired state from the operator's NodeAssignment. Each assigned function, route and trigger is
 * rebuilt as the api/ object it came from and validated by api/ (a node trusts the API server, not
 * the shape of a ConfigMap someone may have edited), then goes through the same desiredStateFrom
 * as standalone manifests: one mapping from Flotilla objects to what the runtime runs. Pure.
 */
import { API_VERSION, REUSE_ANNOTATION, validateFunctionRoute, validateFunctionTrigger, validateWasmFunction } from '../../api/index.ts';
import type { AssignedFunction, FunctionRoute, FunctionTrigger, NodeAssignment, ValidationResult, WasmFunction } from '../../api/index.ts';
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

/** The api/ WasmFunction an assigned (or dormant) function stands for, or none with the reason in `issues`. */
function wasmFunction(f: AssignedFunction, what: string, issues: string[]): WasmFunction[] {
  let ref: string;
  try {
    ref = pinned(f.ref, f.digest);
  } catch (err) {
    issues.push(`${what}: module ${JSON.stringify(f.ref)} at ${JSON.stringify(f.digest)}: ${(err as Error).message}; left out`);
    return [];
  }
  const spec = { module: { ref }, abi: f.abi, limits: f.limits, capabilities: f.capabilities, ...(f.state !== undefined ? { state: f.state } : {}) };
  const metadata = { name: f.name, namespace: f.namespace, ...(f.reuse === true ? { annotations: { [REUSE_ANNOTATION]: 'true' } } : {}) };
  return accept(what, validateWasmFunction({ apiVersion: API_VERSION, kind: 'WasmFunction', metadata, spec }), issues);
}

/** The objects an assignment stands for; each that does not validate is reported in `issues` and left out. */
export function objectsFrom(a: NodeAssignment, issues: string[]): { functions: WasmFunction[]; dormant: WasmFunction[]; routes: FunctionRoute[]; triggers: FunctionTrigger[] } {
  const functions = a.functions.flatMap((f) => wasmFunction(f, `assigned function ${f.namespace}/${f.name}`, issues));
  const dormant = a.dormant.flatMap((f) => wasmFunction(f, `dormant function ${f.namespace}/${f.name}`, issues));
  const routes = a.routes.flatMap((r) => {
    const backends = (r.backends ?? []).map((b) => ({ functionRef: b.function.slice(b.function.indexOf('/') + 1), weight: b.weight }));
    const spec = { ...(r.spec as object), host: r.host, pathPrefix: r.pathPrefix, methods: r.methods, backends };
    return accept(`assigned route ${r.namespace}/${r.name}`, validateFunctionRoute({ apiVersion: API_VERSION, kind: 'FunctionRoute', metadata: { name: r.name, namespace: r.namespace }, spec }), issues);
  });
  const triggers = a.triggers.flatMap((t) =>
    accept(`assigned trigger ${t.namespace}/${t.name}`, validateFunctionTrigger({ apiVersion: API_VERSION, kind: 'FunctionTrigger', metadata: { name: t.name, namespace: t.namespace }, spec: t.spec }), issues),
  );
  return { functions, dormant, routes, triggers };
}

/** The node's desired state for an assignment; `issues` lists what was left out and why. */
export function desiredStateFromAssignment(a: NodeAssignment): { state: DesiredState; issues: string[] } {
  const issues: string[] = [];
  const { dormant, ...objects } = objectsFrom(a, issues);
  // Dormant functions go through the same mapping (so routes keep their backends), then are set apart: never loaded here.
  // Remote functions are only names here: routes keep them as backends, the node forwards their requests.
  const remote = new Map(a.remote.map((r) => [r.function, r.endpoints] as const));
  const built = desiredStateFrom({ ...objects, functions: [...objects.functions, ...dormant], runtimes: [] }, new Set(remote.keys()));
  const dormantKeys = new Set(dormant.map((f) => `${f.metadata.namespace}/${f.metadata.name}`));
  const functions = new Map([...built.state.functions].filter(([key]) => !dormantKeys.has(key)));
  const asleep = new Map([...built.state.functions].filter(([key]) => dormantKeys.has(key)));
  const idleAfterMs = new Map(a.functions.flatMap((f) => (f.scaleToZeroAfterSeconds !== undefined ? [[`${f.namespace}/${f.name}`, f.scaleToZeroAfterSeconds * 1000] as const] : [])));
  return { state: { ...built.state, functions, dormant: asleep, remote, idleAfterMs }, issues: [...issues, ...built.issues] };
}
