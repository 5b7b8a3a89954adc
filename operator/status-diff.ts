import { isDeepStrictEqual } from 'node:util';

/**
 * True when writing `next` would change nothing in `current`. Reconciles run on every heartbeat of
 * every node; skipping identical status writes keeps them from turning into a write per heartbeat.
 */
export function statusUnchanged(current: object | undefined, next: object): boolean {
  if (!current) return false;
  const pick = Object.fromEntries(Object.keys(next).map((k) => [k, (current as Record<string, unknown>)[k]]));
  return isDeepStrictEqual(normalize(pick), normalize(next));
}

/** JSON as stored: undefined dropped, and an empty list equal to an absent one (the apiserver may drop an applied `[]`). */
function normalize(status: object): unknown {
  const json = JSON.parse(JSON.stringify(status)) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(json).filter(([, v]) => !(Array.isArray(v) && v.length === 0)));
}
