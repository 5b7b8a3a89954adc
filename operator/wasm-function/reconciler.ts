import { pinnedDigest } from '../../api/index.ts';
import type { OperatorContext } from '../context.ts';
import { changedConditions, mergeConditions, metaTime } from '../conditions.ts';
import { WASM_FUNCTION_TYPE } from '../kinds.ts';
import { statusUnchanged } from '../status-diff.ts';
import type { LiveWasmFunction } from '../kinds.ts';
import { nextExpiry } from '../nodes/node-lease.ts';
import { applyStatus, awaitChange, objectKey, requeueAfter } from '../../kube/index.ts';
import type { Action } from '../../kube/index.ts';
import { poolNodes } from '../wasm-runtime/reconciler.ts';
import { hostPathsOutside, limitsOverCeiling, planFunction } from './plan.ts';

/** How soon to look again at a module we could not reach (the registry may come back). */
const UNAVAILABLE_RETRY_MS = 15_000;

/** Label selector of a function's instances (the scale subresource's status.selector). */
export function instanceSelector(fn: LiveWasmFunction): string {
  return `flotilla.dev/function=${fn.metadata.name}`;
}

/**
 * WasmFunction: verify → place → report. The placement goes to status.nodes, from which the node
 * assignment controller renders what each node runs; no external state, so no finalizer: when the
 * function is deleted it leaves the cache and every node's assignment is re-rendered without it.
 */
export async function reconcileWasmFunction(fn: LiveWasmFunction, ctx: OperatorContext): Promise<Action> {
  if (fn.metadata.deletionTimestamp) return awaitChange();
  const namespace = fn.metadata.namespace ?? '';
  const runtime = ctx.stores.runtimes.get(`${namespace}/${fn.spec.runtimeClass}`);
  const verifiable = runtime !== undefined && limitsOverCeiling(fn, runtime).length === 0 && hostPathsOutside(fn, runtime).length === 0 && pinnedDigest(fn.spec.module.ref) !== undefined;
  const verification = verifiable ? await ctx.verifier.verify(fn.spec.module.ref, runtime.spec.trustPolicyRef.name, { namespace, runtime: runtime.metadata.name, secrets: (runtime.spec.registryCredentials ?? []).map((s) => s.name) }) : undefined;

  const nodes = runtime ? poolNodes(ctx, namespace, runtime.metadata.name) : [];
  const key = objectKey(fn);
  const load = new Map<string, number>();
  for (const other of ctx.stores.functions.list((f) => f.metadata.namespace === namespace && objectKey(f) !== key)) {
    for (const n of other.status?.nodes ?? []) load.set(n, (load.get(n) ?? 0) + 1);
  }
  const plan = planFunction({ fn, runtime, verification, nodes, load });

  const generation = fn.metadata.generation ?? 0;
  const previous = fn.status?.conditions;
  const status = {
    observedGeneration: generation,
    ...(plan.served ? { resolvedDigest: plan.served.digest, moduleRef: plan.served.ref } : {}),
    desiredInstances: plan.desiredInstances,
    readyInstances: plan.readyInstances,
    nodes: plan.nodes,
    selector: instanceSelector(fn),
    conditions: mergeConditions(previous, plan.conditions, generation, metaTime(ctx.clock.now())),
  };
  if (!statusUnchanged(fn.status, status)) await applyStatus(ctx.client, WASM_FUNCTION_TYPE, fn, status);
  for (const c of changedConditions(previous, plan.conditions)) {
    if (c.status === 'Unknown') continue;
    const warning = (c.status === 'False' && c.type !== 'Progressing') || (c.type === 'Degraded' && c.status === 'True');
    await ctx.recorder.record(fn, { type: warning ? 'Warning' : 'Normal', reason: c.reason, action: c.type === 'SignatureVerified' ? 'Verify' : 'Place', note: c.message });
  }

  const moved = placementChange(fn.status?.nodes ?? [], plan.nodes, nodes, plan.idleOn);
  if (moved) {
    const reason = plan.wokenBy ? 'ScaledFromZero' : plan.nodes.length === 0 && plan.idleOn ? 'ScaledToZero' : 'Reconciled';
    const note = plan.wokenBy ? `${moved}: woken by a request on ${plan.wokenBy.join(', ')}` : moved;
    await ctx.recorder.record(fn, { type: 'Normal', reason, action: 'Place', note });
  }

  if (verification && !verification.ok && verification.condition === 'ModuleAvailable') return requeueAfter(UNAVAILABLE_RETRY_MS);
  const expiry = nextExpiry(nodes.filter((n) => plan.nodes.includes(n.name)), ctx.clock.now());
  return expiry === undefined ? awaitChange() : requeueAfter(expiry);
}

/** "placed on c, d; removed from a (lease expired)": the placement diff as a user reads it, or undefined when unchanged. */
export function placementChange(before: readonly string[], after: readonly string[], nodes: readonly { name: string; ready: boolean; problem?: string }[], idle: readonly string[] = []): string | undefined {
  const added = after.filter((n) => !before.includes(n));
  const removed = before.filter((n) => !after.includes(n));
  if (added.length === 0 && removed.length === 0) return undefined;
  const why = (name: string) => {
    const node = nodes.find((n) => n.name === name);
    return !node ? 'node gone' : !node.ready ? (node.problem ?? 'lease expired') : idle.includes(name) ? 'idle' : 'scaled down or unplaced';
  };
  const parts = [];
  if (added.length > 0) parts.push(`placed on ${added.join(', ')}`);
  if (removed.length > 0) parts.push(`removed from ${removed.map((n) => `${n} (${why(n)})`).join(', ')}`);
  return parts.join('; ');
}
