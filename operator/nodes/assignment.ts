import type { LiveFunctionRoute, LiveFunctionTrigger, LiveWasmFunction } from '../kinds.ts';
import { objectKey } from '../../kube/index.ts';
import type { KubeObject, OwnerReference } from '../../kube/index.ts';
import { ASSIGNMENT_KEY, NODE_LABEL, REUSE_ANNOTATION, RUNTIME_LABEL, TRIGGER_KINDS, nodeObjectName } from '../../api/index.ts';
import { matchesSelector } from './placement.ts';
import type { AssignedFunction, AssignedRoute, AssignedTrigger, HostPaths, NodeAssignment, RemoteFunction } from '../../api/index.ts';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const byKey = <T extends { namespace: string; name: string }>(a: T, b: T) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`);

/**
 * What one node runs, from the functions' placements (status.nodes), the routes and the triggers.
 * Only functions whose status names this node and carries a verified module (status.moduleRef,
 * which stays at the last verified one while a newer ref fails) are assigned. A verified
 * scale-to-zero function placed elsewhere or nowhere is dormant on every node its nodeSelector
 * admits, so any of them can take the request that wakes it. A verified function placed only on
 * other nodes (and not dormant here) is remote: the node forwards its requests to the endpoints of
 * the ready nodes running it (`endpoints`), so any node of the pool answers any route. Routes keep
 * the backends the node runs, holds dormant or forwards, with their declared weights (renormalised
 * over those: a backend running nowhere loses its share); a cron or MQTT trigger goes to the first of its function's
 * nodes only, a NATS (queue group) or HTTP trigger to all of them (event triggers do not wake a
 * dormant function: only requests are held). Every entry carries its object's whole spec as the API
 * server holds it (api/node-assignment.ts) beside what is decided here; a function's declared module
 * gives way to the verified one.
 */
export function nodeAssignment(input: {
  node: string;
  /** The node's labels (its Lease), for the nodeSelector of dormant functions. */
  labels?: Readonly<Record<string, string>>;
  namespace: string;
  trustPolicy: string;
  /** The pool's spec.hostPaths, carried to each function for the node to enforce too. @default none allowed */
  hostPaths?: HostPaths;
  functions: readonly LiveWasmFunction[];
  routes: readonly LiveFunctionRoute[];
  triggers: readonly LiveFunctionTrigger[];
  /** Routes that lost a conflict: never served. */
  rejectedRoutes?: ReadonlySet<string>;
  /** Triggers in a chain cycle: never run. */
  rejectedTriggers?: ReadonlySet<string>;
  /** Serving endpoint of each ready node of the pool (its Lease), for the remote functions' endpoints. */
  endpoints?: ReadonlyMap<string, string>;
}): NodeAssignment {
  const verified = input.functions.filter(
    (f) => f.metadata.namespace === input.namespace && f.status?.resolvedDigest !== undefined && f.status.moduleRef !== undefined && !f.metadata.deletionTimestamp,
  );
  const placed = verified.filter((f) => (f.status?.nodes ?? []).includes(input.node));
  const dormantHere = verified.filter(
    (f) => f.spec.scaling.scaleToZero && !(f.status?.nodes ?? []).includes(input.node) && matchesSelector(input.labels ?? {}, f.spec.placement?.nodeSelector),
  );
  const assigned = (list: readonly LiveWasmFunction[]): AssignedFunction[] =>
    list
      .map(({ metadata, spec: { module: _declared, ...spec }, status }) => ({
        namespace: metadata.namespace ?? '',
        name: metadata.name,
        uid: metadata.uid ?? '',
        generation: metadata.generation ?? 0,
        spec,
        ref: status?.moduleRef ?? '',
        digest: status?.resolvedDigest ?? '',
        trustPolicy: input.trustPolicy,
        hostPaths: input.hostPaths ?? { allowed: [] },
        ...(metadata.annotations?.[REUSE_ANNOTATION] === 'true' ? { reuse: true } : {}),
      }))
      .sort(byKey);
  const functions = assigned(placed);
  const dormant = assigned(dormantHere);
  const here = new Set(placed.map((f) => objectKey(f)));
  const remote: RemoteFunction[] = verified
    .filter((f) => !here.has(objectKey(f)) && !dormantHere.includes(f))
    .map((f) => ({ function: objectKey(f), endpoints: [...new Set((f.status?.nodes ?? []).flatMap((n) => input.endpoints?.get(n) ?? []))].sort() }))
    .filter((r) => r.endpoints.length > 0)
    .sort((a, b) => a.function.localeCompare(b.function));
  const routable = new Set([...here, ...dormantHere.map((f) => objectKey(f)), ...remote.map((r) => r.function)]);

  const routes: AssignedRoute[] = [];
  for (const r of input.routes) {
    if (r.metadata.namespace !== input.namespace || input.rejectedRoutes?.has(objectKey(r))) continue;
    const ns = r.metadata.namespace;
    const local = r.spec.backends.filter((b) => routable.has(`${ns}/${b.functionRef}`) && b.weight > 0);
    const total = local.reduce((sum, b) => sum + b.weight, 0);
    if (local.length === 0 || total === 0) continue;
    routes.push({
      namespace: ns,
      name: r.metadata.name,
      spec: r.spec,
      backends: local.map((b) => ({ functionRef: b.functionRef, weight: Math.round((b.weight * 100) / total) })),
    });
  }
  routes.sort(byKey);

  const triggers: AssignedTrigger[] = [];
  for (const t of input.triggers) {
    const fnKey = `${t.metadata.namespace}/${t.spec.functionRef}`;
    if (t.metadata.namespace !== input.namespace || !here.has(fnKey) || input.rejectedTriggers?.has(objectKey(t))) continue;
    if (TRIGGER_KINDS[t.spec.type].nodes === 'first') {
      const fn = placed.find((f) => objectKey(f) === fnKey);
      const first = [...(fn?.status?.nodes ?? [])].sort()[0];
      if (first !== input.node) continue;
    }
    triggers.push({ namespace: t.metadata.namespace ?? '', name: t.metadata.name, spec: t.spec });
  }
  triggers.sort(byKey);

  return { node: input.node, functions, dormant, remote, routes, triggers };
}

/** The node's assignment ConfigMap, owned by its Lease (a node that is deleted takes its assignments with it). */
export function assignmentConfigMap(namespace: string, runtime: string, assignment: NodeAssignment, owner: OwnerReference): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: nodeObjectName(runtime, assignment.node),
      namespace,
      labels: { [RUNTIME_LABEL]: runtime, [NODE_LABEL]: assignment.node, 'app.kubernetes.io/managed-by': 'flotilla-operator' },
      ownerReferences: [owner],
    },
    data: { [ASSIGNMENT_KEY]: JSON.stringify(assignment) },
  };
}
