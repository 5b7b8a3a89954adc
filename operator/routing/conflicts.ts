import type { LiveFunctionRoute } from '../kinds.ts';
import { objectKey } from '../../kube/index.ts';

/** Why a route is not served: the route that holds its host + path + method. */
export type RouteConflicts = ReadonlyMap<string, string>;

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((m) => b.includes(m));
}

/**
 * Two routes conflict when they claim the same host and path prefix for a common method (no
 * methods = all). The oldest route keeps the claim (ties by namespace/name, so every replica
 * decides the same); the others are rejected, named, and never silently override it.
 */
export function routeConflicts(routes: readonly LiveFunctionRoute[]): RouteConflicts {
  const order = [...routes].sort(
    (a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || objectKey(a).localeCompare(objectKey(b)),
  );
  const accepted: LiveFunctionRoute[] = [];
  const rejected = new Map<string, string>();
  for (const r of order) {
    const holder = accepted.find((a) => a.spec.host === r.spec.host && a.spec.pathPrefix === r.spec.pathPrefix && overlaps(a.spec.methods, r.spec.methods));
    if (holder) rejected.set(objectKey(r), objectKey(holder));
    else accepted.push(r);
  }
  return rejected;
}
