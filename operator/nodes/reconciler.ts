import type { OperatorContext } from '../context.ts';
import { CONFIG_MAP_TYPE } from '../kinds.ts';
import { chainCycles } from '../routing/chains.ts';
import { routeConflicts } from '../routing/conflicts.ts';
import { apply, awaitChange, objectKey } from '../../kube/index.ts';
import type { Action } from '../../kube/index.ts';
import { assignmentConfigMap, nodeAssignment } from './assignment.ts';
import { ASSIGNMENT_KEY, RUNTIME_LABEL, nodeObjectName } from '../../api/index.ts';
import { parseNodeLease } from '../../api/index.ts';
import { withNodeObject } from './node-labels.ts';
import type { NodeLease } from '../../api/index.ts';

/**
 * Node assignments, keyed by node Lease: renders everything the node runs from the caches
 * (placements in WasmFunction status, routes minus conflicts, triggers) into its ConfigMap. One
 * writer per node, so functions placed concurrently never race on a shared document; the apply
 * is skipped when the cached ConfigMap already says the same.
 */
export async function reconcileNodeAssignment(lease: NodeLease, ctx: OperatorContext): Promise<Action> {
  const namespace = lease.metadata.namespace;
  const node = withNodeObject(parseNodeLease(lease, ctx.clock.now()), ctx.stores.nodes);
  const runtimeName = lease.metadata.labels?.[RUNTIME_LABEL] ?? '';
  const runtime = ctx.stores.runtimes.get(`${namespace}/${runtimeName}`);
  const uid = lease.metadata.uid;
  if (!uid) throw new Error(`node Lease ${namespace}/${lease.metadata.name} has no uid yet`);
  const assignment = nodeAssignment({
    node: node.name,
    labels: node.labels,
    namespace,
    trustPolicy: runtime?.spec.trustPolicyRef.name ?? '',
    ...(runtime ? { hostPaths: runtime.spec.hostPaths } : {}),
    functions: runtime ? ctx.stores.functions.list((f) => f.metadata.namespace === namespace && f.spec.runtimeClass === runtimeName) : [],
    routes: ctx.stores.routes.list((r) => r.metadata.namespace === namespace),
    triggers: ctx.stores.triggers.list((t) => t.metadata.namespace === namespace),
    rejectedRoutes: new Set(routeConflicts(ctx.stores.routes.list()).keys()),
    rejectedTriggers: new Set(chainCycles(ctx.stores.triggers.list((t) => t.metadata.namespace === namespace)).keys()),
    endpoints: poolEndpoints(ctx, namespace, runtimeName),
  });
  const desired = assignmentConfigMap(namespace, runtimeName, assignment, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    name: lease.metadata.name,
    uid,
  });
  const cached = ctx.stores.assignments.get(`${namespace}/${nodeObjectName(runtimeName, node.name)}`);
  if (cached?.data?.[ASSIGNMENT_KEY] === desired.data?.[ASSIGNMENT_KEY]) return awaitChange();
  await apply(ctx.client, CONFIG_MAP_TYPE, desired);
  ctx.log.info({ node: node.name, namespace, functions: assignment.functions.length, remote: assignment.remote.length, routes: assignment.routes.length, triggers: assignment.triggers.length }, 'Applied node assignment');
  return awaitChange();
}

/** Serving endpoint of each ready node of the pool, by node name: where remote functions are forwarded to. */
function poolEndpoints(ctx: Pick<OperatorContext, 'stores' | 'clock'>, namespace: string, runtime: string): Map<string, string> {
  const now = ctx.clock.now();
  return new Map(
    ctx.stores.nodeLeases
      .list((l) => l.metadata.namespace === namespace && l.metadata.labels?.[RUNTIME_LABEL] === runtime)
      .map((l) => parseNodeLease(l, now))
      .flatMap((n) => (n.ready && n.endpoint ? [[n.name, n.endpoint] as const] : [])),
  );
}

/** Every node Lease key in `namespace`: a change to any function, route or trigger there may change any node's assignment. */
export function nodeKeysIn(ctx: Pick<OperatorContext, 'stores'>, namespace: string | undefined): string[] {
  return ctx.stores.nodeLeases.list((l) => l.metadata.namespace === namespace).map((l) => objectKey(l));
}

