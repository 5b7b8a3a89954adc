import type { LiveFunctionRoute, LiveFunctionTrigger, LiveWasmFunction } from '../kinds.ts';
import { objectKey } from '../runtime/index.ts';
import type { KubeObject, OwnerReference } from '../runtime/index.ts';
import { ASSIGNMENT_KEY, NODE_LABEL, RUNTIME_LABEL, nodeObjectName } from '../../api/index.ts';
import type { AssignedFunction, AssignedRoute, AssignedTrigger, NodeAssignment } from '../../api/index.ts';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** Sources whose consumers must not run on every node (a cron firing N times, an MQTT message handled N times). */
const SINGLE_NODE_TRIGGERS = new Set(['cron', 'mqtt']);

const byKey = <T extends { namespace: string; name: string }>(a: T, b: T) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`);

/**
 * What one node runs, from the functions' placements (status.nodes), the routes and the triggers.
 * Only functions whose status names this node and carries a verified module (status.moduleRef,
 * which stays at the last verified one while a newer ref fails) are assigned; routes
 * keep the backends the node runs, weights renormalised; a cron or MQTT trigger goes to the first of
 * its function's nodes only, a NATS (queue group) or HTTP trigger to all of them.
 */
export function nodeAssignment(input: {
  node: string;
  namespace: string;
  trustPolicy: string;
  functions: readonly LiveWasmFunction[];
  routes: readonly LiveFunctionRoute[];
  triggers: readonly LiveFunctionTrigger[];
  /** Routes that lost a conflict: never served. */
  rejectedRoutes?: ReadonlySet<string>;
  /** Triggers in a chain cycle: never run. */
  rejectedTriggers?: ReadonlySet<string>;
}): NodeAssignment {
  const placed = input.functions.filter(
    (f) => f.metadata.namespace === input.namespace && f.status?.resolvedDigest !== undefined && f.status.moduleRef !== undefined && (f.status.nodes ?? []).includes(input.node) && !f.metadata.deletionTimestamp,
  );
  const functions: AssignedFunction[] = placed
    .map((f) => ({
      namespace: f.metadata.namespace ?? '',
      name: f.metadata.name,
      uid: f.metadata.uid ?? '',
      generation: f.metadata.generation ?? 0,
      ref: f.status?.moduleRef ?? '',
      digest: f.status?.resolvedDigest ?? '',
      abi: f.spec.abi,
      limits: f.spec.limits,
      capabilities: f.spec.capabilities,
      ...(f.spec.state ? { state: f.spec.state } : {}),
      trustPolicy: input.trustPolicy,
    }))
    .sort(byKey);
  const here = new Set(placed.map((f) => objectKey(f)));

  const routes: AssignedRoute[] = [];
  for (const r of input.routes) {
    if (r.metadata.namespace !== input.namespace || input.rejectedRoutes?.has(objectKey(r))) continue;
    const ns = r.metadata.namespace;
    const local = r.spec.backends.filter((b) => here.has(`${ns}/${b.functionRef}`) && b.weight > 0);
    const total = local.reduce((sum, b) => sum + b.weight, 0);
    if (local.length === 0 || total === 0) continue;
    routes.push({
      namespace: ns,
      name: r.metadata.name,
      host: r.spec.host,
      pathPrefix: r.spec.pathPrefix,
      methods: [...r.spec.methods].sort(),
      backends: local.map((b) => ({ function: `${ns}/${b.functionRef}`, weight: Math.round((b.weight * 100) / total) })),
      spec: { timeoutMs: r.spec.timeoutMs, retries: r.spec.retries, circuitBreaker: r.spec.circuitBreaker, auth: r.spec.auth, rateLimit: r.spec.rateLimit },
    });
  }
  routes.sort(byKey);

  const triggers: AssignedTrigger[] = [];
  for (const t of input.triggers) {
    const fnKey = `${t.metadata.namespace}/${t.spec.functionRef}`;
    if (t.metadata.namespace !== input.namespace || !here.has(fnKey) || input.rejectedTriggers?.has(objectKey(t))) continue;
    if (SINGLE_NODE_TRIGGERS.has(t.spec.type)) {
      const fn = placed.find((f) => objectKey(f) === fnKey);
      const first = [...(fn?.status?.nodes ?? [])].sort()[0];
      if (first !== input.node) continue;
    }
    triggers.push({ namespace: t.metadata.namespace ?? '', name: t.metadata.name, function: fnKey, spec: t.spec });
  }
  triggers.sort(byKey);

  return { node: input.node, functions, routes, triggers };
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
