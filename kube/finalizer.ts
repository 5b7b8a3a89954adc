import type { Action } from './action.ts';
import { awaitChange } from './action.ts';
import type { KubeClient } from './kube-client.ts';
import { resourcePath } from './resource.ts';
import type { KubeObject, ResourceType } from './resource.ts';

/**
 * Where an object stands with respect to our finalizer (kube-runtime's finalizer state machine):
 *
 * | has finalizer | being deleted | step           | then                                        |
 * | ------------- | ------------- | -------------- | ------------------------------------------- |
 * | no            | no            | AddFinalizer   | the patch is a change, so we run again      |
 * | yes           | no            | Apply          | normal reconcile                            |
 * | yes           | yes           | Cleanup        | clean external state, then remove finalizer |
 * | no            | yes           | Done           | someone else's finalizer holds it; nothing  |
 *
 * Adding the finalizer before any external state exists is what makes cleanup certain: the API
 * server cannot delete the object until Cleanup succeeded and removed it.
 */
export type FinalizerStep = 'AddFinalizer' | 'Apply' | 'Cleanup' | 'Done';

export function finalizerStep(obj: KubeObject, finalizer: string): FinalizerStep {
  const has = (obj.metadata.finalizers ?? []).includes(finalizer);
  const deleting = obj.metadata.deletionTimestamp !== undefined;
  if (deleting) return has ? 'Cleanup' : 'Done';
  return has ? 'Apply' : 'AddFinalizer';
}

export type JsonPatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown };

/**
 * A JSON patch that adds `finalizer`, guarded so it fails (422, retried by the error policy) if the
 * object changed since we read it: the list must still be what we saw.
 */
export function addFinalizerPatch(obj: KubeObject, finalizer: string): JsonPatchOp[] {
  const current = obj.metadata.finalizers;
  if (current === undefined) {
    return [
      { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  }
  return [
    { op: 'test', path: '/metadata/finalizers', value: current },
    { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
  ];
}

/**
 * A JSON patch that removes `finalizer` by index, guarded by a test on that index so we never remove
 * another controller's finalizer if the list shifted.
 */
export function removeFinalizerPatch(obj: KubeObject, finalizer: string): JsonPatchOp[] {
  const index = (obj.metadata.finalizers ?? []).indexOf(finalizer);
  if (index < 0) return [];
  return [
    { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ];
}

/** What to do at each step: `apply` for a live object, `cleanup` for one being deleted. */
export interface FinalizerHandlers<T> {
  apply(obj: T): Promise<Action>;
  cleanup(obj: T): Promise<Action>;
}

/**
 * Runs the finalizer state machine for one reconcile. Cleanup must be idempotent: if removing the
 * finalizer fails after cleanup succeeded, the next reconcile runs cleanup again.
 */
export async function withFinalizer<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  finalizer: string,
  obj: T,
  handlers: FinalizerHandlers<T>,
): Promise<Action> {
  const path = resourcePath(type, { namespace: obj.metadata.namespace, name: obj.metadata.name });
  switch (finalizerStep(obj, finalizer)) {
    case 'AddFinalizer':
      await client.request({ method: 'PATCH', path, body: addFinalizerPatch(obj, finalizer), contentType: 'application/json-patch+json' });
      return awaitChange();
    case 'Apply':
      return handlers.apply(obj);
    case 'Cleanup': {
      const action = await handlers.cleanup(obj);
      await client.request({ method: 'PATCH', path, body: removeFinalizerPatch(obj, finalizer), contentType: 'application/json-patch+json' });
      return action;
    }
    case 'Done':
      return awaitChange();
  }
}
