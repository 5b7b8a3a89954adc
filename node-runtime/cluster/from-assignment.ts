/**
 * Desired state from the operator's NodeAssignment (validated by api/ parseAssignment: each entry
 * carries its object's whole spec). Each assigned function, route and trigger becomes the api/
 * object it came from, with what the operator decided in place of the declaration (the verified
 * module, the backends this node serves), then goes through the same desiredStateFrom as
 * standalone manifests: one mapping from Flotilla objects to what the runtime runs. Pure.
 */
import { API_VERSION, REUSE_ANNOTATION, SCALE_TO_ZERO_AFTER_SECONDS } from '../../api/index.ts';
import type { AssignedFunction, FunctionRoute, FunctionTrigger, NodeAssignment, WasmFunction } from '../../api/index.ts';
import type { DesiredState } from '../resolve/desired-state.ts';
import { desiredStateFrom } from '../resolve/from-manifests.ts';

const keyOf = (o: { namespace: string; name: string }) => `${o.namespace}/${o.name}`;

/** The WasmFunction an assigned (or dormant) function stands for, running the module the operator verified. */
function wasmFunction(f: AssignedFunction): WasmFunction {
  const metadata = { name: f.name, namespace: f.namespace, ...(f.reuse === true ? { annotations: { [REUSE_ANNOTATION]: 'true' } } : {}) };
  return { apiVersion: API_VERSION, kind: 'WasmFunction', metadata, spec: { ...f.spec, module: { ref: f.ref } } };
}

/** The objects an assignment stands for. */
function objectsFrom(a: NodeAssignment): { functions: WasmFunction[]; dormant: WasmFunction[]; routes: FunctionRoute[]; triggers: FunctionTrigger[] } {
  return {
    functions: a.functions.map(wasmFunction),
    dormant: a.dormant.map(wasmFunction),
    routes: a.routes.map((r) => ({ apiVersion: API_VERSION, kind: 'FunctionRoute', metadata: { name: r.name, namespace: r.namespace }, spec: { ...r.spec, backends: r.backends } })),
    triggers: a.triggers.map((t) => ({ apiVersion: API_VERSION, kind: 'FunctionTrigger', metadata: { name: t.name, namespace: t.namespace }, spec: t.spec })),
  };
}

/** The node's desired state for an assignment; `issues` lists what was left out and why. */
export function desiredStateFromAssignment(a: NodeAssignment): { state: DesiredState; issues: string[] } {
  const { dormant, ...objects } = objectsFrom(a);
  // Dormant functions go through the same mapping (so routes keep their backends), then are set apart: never loaded here.
  // Remote functions are only names here: routes keep them as backends, the node forwards their requests.
  const remote = new Map(a.remote.map((r) => [r.function, r.endpoints] as const));
  // The pool's host path ceiling comes with each function: the node enforces it again.
  const ceilings = new Map([...a.functions, ...a.dormant].map((f) => [keyOf(f), f.hostPaths] as const));
  const poolOf = (fn: WasmFunction) => ({ name: `WasmRuntime ${fn.metadata.namespace ?? ''}/${fn.spec.runtimeClass}`, hostPaths: ceilings.get(`${fn.metadata.namespace ?? ''}/${fn.metadata.name}`) ?? { allowed: [] } });
  const built = desiredStateFrom({ ...objects, functions: [...objects.functions, ...dormant], runtimes: [] }, new Set(remote.keys()), poolOf);
  const dormantKeys = new Set(a.dormant.map(keyOf));
  const functions = new Map([...built.state.functions].filter(([key]) => !dormantKeys.has(key)));
  const asleep = new Map([...built.state.functions].filter(([key]) => dormantKeys.has(key)));
  const idleAfterMs = new Map(
    a.functions.flatMap((f) => (f.spec.scaling.scaleToZero ? [[keyOf(f), (f.spec.scaling.scaleToZeroAfterSeconds ?? SCALE_TO_ZERO_AFTER_SECONDS) * 1000] as const] : [])),
  );
  return { state: { ...built.state, functions, dormant: asleep, remote, idleAfterMs }, issues: built.issues };
}
