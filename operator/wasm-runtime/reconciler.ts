import type { OperatorContext } from '../context.ts';
import type { DesiredCondition } from '../conditions.ts';
import { changedConditions, mergeConditions, metaTime } from '../conditions.ts';
import { WASM_RUNTIME_TYPE } from '../kinds.ts';
import { statusUnchanged } from '../status-diff.ts';
import type { LiveWasmRuntime } from '../kinds.ts';
import { RUNTIME_LABEL, nodeObjectName } from '../../api/index.ts';
import { parseNodeLease } from '../../api/index.ts';
import { nextExpiry } from '../nodes/node-lease.ts';
import { apply, applyStatus, awaitChange, controllerRef, deleteIfExists, LEASE_TYPE, objectKey, requeueAfter } from '../../kube/index.ts';
import type { Action, KubeObject, ResourceType } from '../../kube/index.ts';
import { withHearingGrace } from './lease-grace.ts';
import { withNodeObject } from '../nodes/node-labels.ts';
import { nodeRuntimeObjects } from './objects.ts';
import { runtimeStatus } from './status.ts';

const CHILD_TYPES: Record<string, ResourceType> = {
  ServiceAccount: { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  DaemonSet: { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  Service: { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true },
};

/** The registered nodes of a pool, parsed from the Lease cache, with their Node objects' labels. */
export function poolNodes(ctx: OperatorContext, namespace: string, runtime: string) {
  const now = ctx.clock.now();
  return ctx.stores.nodeLeases
    .list((l) => l.metadata.namespace === namespace && l.metadata.labels?.[RUNTIME_LABEL] === runtime)
    .map((l) => withNodeObject(withHearingGrace(parseNodeLease(l, now), (l.spec?.leaseDurationSeconds ?? 0) * 1000, ctx.leaseHearing, now), ctx.stores.nodes));
}

/**
 * WasmRuntime: applies the node runtime children (owned, so deleting the pool garbage-collects
 * them: no finalizer needed) and reports nodes ready / total from the node Leases. Looks again when
 * the next node Lease would expire, so a dead node shows without any event.
 */
export function wasmRuntimeReconciler(): (runtime: LiveWasmRuntime, ctx: OperatorContext) => Promise<Action> {
  // What we last applied per runtime uid and when: node heartbeats reconcile the pool often, and
  // re-applying five unchanged children each time would be pure load. Re-applied anyway after
  // CHILDREN_REFRESH_MS so a child deleted or edited by hand is repaired.
  const applied = new Map<string, { hash: string; at: number; scheduled: number }>();
  return async (runtime, ctx) => {
    if (runtime.metadata.deletionTimestamp) return awaitChange();
    const pinned = ctx.nodeImagePins.get(runtime.spec.version);
    if (pinned === undefined && ctx.requirePinnedNodeImages) {
      // Never a mutable tag: without a digest for this version the pool gets no DaemonSet (nodes already registered keep running).
      const pins = [...ctx.nodeImagePins.keys()].sort().join(', ') || 'none';
      return reportStatus(runtime, ctx, 0, {
        type: 'Ready',
        status: 'False',
        reason: 'NodeImageNotPinned',
        message: `no node runtime image pinned by digest for version ${runtime.spec.version} (pinned: ${pins}): set spec.version to a pinned version, or pin an image for it (clusters/images.json, operator --node-image-pin ${runtime.spec.version}=<repository>@sha256:<hex>)`,
      });
    }
    const owner = controllerRef(WASM_RUNTIME_TYPE, runtime);
    const children = nodeRuntimeObjects(runtime, owner, { repository: ctx.nodeImage, ...(pinned !== undefined ? { pinned } : {}) }, ctx.namespace);
    const hash = JSON.stringify(children);
    const uid = runtime.metadata.uid ?? '';
    const memo = applied.get(uid);
    let scheduled = memo?.scheduled ?? 0;
    if (!memo || memo.hash !== hash || ctx.clock.now() - memo.at > CHILDREN_REFRESH_MS) {
      for (const child of Object.values(children) as KubeObject[]) {
        const type = CHILD_TYPES[child.kind ?? ''];
        if (!type) throw new Error(`no ResourceType for child kind ${child.kind}`);
        const stored = await apply(ctx.client, type, child);
        if (child.kind === 'DaemonSet') scheduled = (stored as { status?: { desiredNumberScheduled?: number } }).status?.desiredNumberScheduled ?? 0;
      }
      applied.set(uid, { hash, at: ctx.clock.now(), scheduled });
      ctx.log.info({ runtime: objectKey(runtime), version: runtime.spec.version }, 'Applied node runtime DaemonSet');
    }
    return reportStatus(runtime, ctx, scheduled);
  };
}

const CHILDREN_REFRESH_MS = 5 * 60_000;

/** Writes the pool's status; `refused` replaces the Ready condition when the operator refused to roll the pool. */
async function reportStatus(runtime: LiveWasmRuntime, ctx: OperatorContext, scheduled: number, refused?: DesiredCondition): Promise<Action> {
  const namespace = runtime.metadata.namespace ?? '';
  const registered = poolNodes(ctx, namespace, runtime.metadata.name);
  // Edge devices come and go: a node silent for longer than nodeForgetAfterMs is forgotten (its
  // Lease deleted, its assignment garbage-collected with it). It registers again when it returns.
  const now = ctx.clock.now();
  const forgotten = registered.filter((n) => !n.ready && n.expiresAtMs + ctx.nodeForgetAfterMs <= now);
  for (const n of forgotten) {
    await deleteIfExists(ctx.client, LEASE_TYPE, namespace, nodeObjectName(runtime.metadata.name, n.name));
    ctx.log.info({ runtime: objectKey(runtime), node: n.name }, 'Forgot node: no heartbeat');
  }
  const nodes = registered.filter((n) => !forgotten.includes(n));
  const computed = runtimeStatus(runtime.spec, nodes, scheduled);
  const plan = refused ? { ...computed, conditions: [refused, ...computed.conditions.filter((c) => c.type !== 'Ready')] } : computed;
  const generation = runtime.metadata.generation ?? 0;
  const previous = runtime.status?.conditions;
  const conditions = mergeConditions(previous, plan.conditions, generation, metaTime(ctx.clock.now()));
  const status = {
    observedGeneration: generation,
    readyNodes: plan.readyNodes,
    desiredNodes: plan.desiredNodes,
    ...(plan.currentVersion !== undefined ? { currentVersion: plan.currentVersion } : {}),
    conditions,
  };
  if (!statusUnchanged(runtime.status, status)) await applyStatus(ctx.client, WASM_RUNTIME_TYPE, runtime, status);
  for (const c of changedConditions(previous, plan.conditions)) {
    await ctx.recorder.record(runtime, { type: c.status === 'False' && c.type === 'Ready' ? 'Warning' : 'Normal', reason: c.reason, action: 'Reconcile', note: c.message });
  }
  // Look again when the next ready node would expire, or the next silent one is due to be forgotten.
  const forgetIn = nodes.filter((n) => !n.ready).map((n) => Math.max(0, n.expiresAtMs + ctx.nodeForgetAfterMs - now) + 50);
  const next = [nextExpiry(nodes, now), ...forgetIn].filter((ms): ms is number => ms !== undefined);
  return next.length === 0 ? awaitChange() : requeueAfter(Math.min(...next));
}
