import { isDeepStrictEqual } from 'node:util';

/**
 * True when writing `next` would change nothing in `current`. Reconciles run on every heartbeat of
 * every node; skipping identical status writes keeps them from turning into a write per heartbeat.
 */
export function statusUnchanged(current: object | undefined, next: object): boolean {
  if (!current) return false;
  const pick = Object.fromEntries(Object.keys(next).map((k) => [k, (current as Record<string, unknown>)[k]]));
  return isDeepStrictEqual(JSON.parse(JSON.stringify(pick)), JSON.parse(JSON.stringify(next)));
}
