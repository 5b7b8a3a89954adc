/**
 * What a reconcile asks the controller to do next. Explicit so that "when do we look again" is a
 * decision each reconciler makes, never a side effect of how it returned.
 */
export type Action = { readonly type: 'RequeueAfter'; readonly ms: number } | { readonly type: 'AwaitChange' };

/** Reconcile this object again after `ms` even if nothing changes (e.g. a lease expiry to check). */
export function requeueAfter(ms: number): Action {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`requeueAfter: expected a finite delay >= 0 ms, got ${ms}`);
  return { type: 'RequeueAfter', ms };
}

/** Reconcile again only when the object or something it watches changes. */
export function awaitChange(): Action {
  return { type: 'AwaitChange' };
}
