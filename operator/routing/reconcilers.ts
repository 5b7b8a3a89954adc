import { clusterAuthGap, parseNodeLease, type Condition } from '../../api/index.ts';
import type { OperatorContext } from '../context.ts';
import { changedConditions, mergeConditions, metaTime } from '../conditions.ts';
import type { DesiredCondition } from '../conditions.ts';
import { FUNCTION_ROUTE_TYPE, FUNCTION_TRIGGER_TYPE } from '../kinds.ts';
import type { LiveFunctionRoute, LiveFunctionTrigger } from '../kinds.ts';
import { applyStatus, awaitChange, objectKey, requeueAfter } from '../../kube/index.ts';
import type { Action, KubeObject, ResourceType } from '../../kube/index.ts';
import { chainCycles } from './chains.ts';
import { routeConflicts } from './conflicts.ts';

/** Names in `refs` with no WasmFunction in `namespace`. */
function missingFunctions(ctx: OperatorContext, namespace: string, refs: readonly string[]): string[] {
  return refs.filter((r) => !ctx.stores.functions.get(`${namespace}/${r}`));
}

async function writeConditions(
  ctx: OperatorContext,
  type: ResourceType,
  obj: KubeObject & { status?: { conditions?: Condition[] } },
  desired: DesiredCondition[],
  extra: Record<string, unknown> = {},
): Promise<void> {
  const generation = obj.metadata.generation ?? 0;
  const previous = obj.status?.conditions;
  await applyStatus(ctx.client, type, obj, { observedGeneration: generation, conditions: mergeConditions(previous, desired, generation, metaTime(ctx.clock.now())), ...extra });
  for (const c of changedConditions(previous, desired)) {
    await ctx.recorder.record(obj, { type: c.status === 'True' ? 'Normal' : 'Warning', reason: c.reason, action: 'Route', note: c.message });
  }
}

/** While nodes report a route refused, it is looked at again this often: a node that recovers drops it from its report, which enqueues nothing. */
const REFUSED_RECHECK_MS = 15_000;

/** What the ready nodes report about `key`: `node: message` of each that refuses it (its auth cannot be enforced there). */
export function nodesRefusing(ctx: OperatorContext, key: string): string[] {
  const now = ctx.clock.now();
  return ctx.stores.nodeLeases
    .list()
    .map((l) => parseNodeLease(l, now))
    .filter((n) => n.ready && n.routes?.[key] !== undefined)
    .map((n) => `${n.name}: ${n.routes![key]!.message}`)
    .sort();
}

/** FunctionRoute: accepted unless another route holds its host + path + method, or a backend function is missing. */
export async function reconcileFunctionRoute(route: LiveFunctionRoute, ctx: OperatorContext): Promise<Action> {
  const namespace = route.metadata.namespace ?? '';
  const holder = routeConflicts(ctx.stores.routes.list()).get(objectKey(route));
  const missing = missingFunctions(ctx, namespace, route.spec.backends.map((b) => b.functionRef));
  const gap = clusterAuthGap(route.spec.auth);
  const refusing = route.spec.auth.type === 'none' ? [] : nodesRefusing(ctx, objectKey(route));
  let ready: DesiredCondition;
  if (refusing.length > 0 && !gap) {
    ready = { type: 'Ready', status: 'False', reason: 'AuthNotEnforceable', message: `nodes refuse its requests (503) until they can enforce spec.auth: ${refusing.join('; ')}` };
  } else if (gap) {
    // Nodes refuse its requests (503), never serve it open: say so before a request finds out.
    ready = { type: 'Ready', status: 'False', reason: 'AuthNotEnforceable', message: `${gap.field}: ${gap.message}` };
  } else if (holder) {
    ready = { type: 'Ready', status: 'False', reason: 'RouteConflict', message: `host ${route.spec.host} path ${route.spec.pathPrefix} is already routed by FunctionRoute ${holder}: change host, pathPrefix or methods, or delete one of them` };
  } else if (missing.length > 0) {
    ready = { type: 'Ready', status: 'False', reason: 'FunctionNotFound', message: `backend WasmFunction(s) ${missing.join(', ')} not found in ${namespace}: create them or fix spec.backends` };
  } else {
    ready = { type: 'Ready', status: 'True', reason: 'Reconciled', message: `routing ${route.spec.host}${route.spec.pathPrefix} to ${route.spec.backends.map((b) => `${b.functionRef} (${b.weight}%)`).join(', ')}` };
  }
  const degraded: DesiredCondition = gap || refusing.length > 0
    ? { type: 'Degraded', status: 'True', reason: 'AuthNotEnforceable', message: ready.message }
    : { type: 'Degraded', status: 'False', reason: 'Reconciled', message: route.spec.auth.type === 'none' ? 'no authentication required' : `every node enforces auth.type ${route.spec.auth.type}` };
  await writeConditions(ctx, FUNCTION_ROUTE_TYPE, route, [ready, degraded], { url: `http://${route.spec.host}${route.spec.pathPrefix}` });
  return refusing.length > 0 ? requeueAfter(REFUSED_RECHECK_MS) : awaitChange();
}

/** FunctionTrigger: Ready when its function and every `next` function exist and its chain does not loop. */
export async function reconcileFunctionTrigger(trigger: LiveFunctionTrigger, ctx: OperatorContext): Promise<Action> {
  const namespace = trigger.metadata.namespace ?? '';
  const missing = missingFunctions(ctx, namespace, [trigger.spec.functionRef, ...trigger.spec.next.map((n) => n.functionRef)]);
  const cycle = chainCycles(ctx.stores.triggers.list((t) => t.metadata.namespace === namespace)).get(objectKey(trigger));
  let ready: DesiredCondition;
  if (missing.length > 0) {
    ready = { type: 'Ready', status: 'False', reason: 'FunctionNotFound', message: `WasmFunction(s) ${missing.join(', ')} not found in ${namespace}: create them or fix spec.functionRef / spec.next` };
  } else if (cycle) {
    ready = { type: 'Ready', status: 'False', reason: 'ChainCycle', message: `spec.next forms a loop with other triggers: ${cycle}; one event would run forever: remove a next entry` };
  } else {
    ready = { type: 'Ready', status: 'True', reason: 'Reconciled', message: `${trigger.spec.type} trigger invokes ${trigger.spec.functionRef}` };
  }
  await writeConditions(ctx, FUNCTION_TRIGGER_TYPE, trigger, [ready]);
  return awaitChange();
}
