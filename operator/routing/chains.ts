import type { LiveFunctionTrigger } from '../kinds.ts';
import { objectKey } from '../../kube/index.ts';

/**
 * Triggers whose `next` chain loops back: every trigger contributes edges function → next function
 * (within its namespace), and a trigger is in a cycle when one of its edges is. The value is the
 * loop as "a → b → a", for the condition message. A cycle would run forever on one event.
 */
export function chainCycles(triggers: readonly LiveFunctionTrigger[]): ReadonlyMap<string, string> {
  const edges = new Map<string, Set<string>>();
  const fn = (t: LiveFunctionTrigger, name: string) => `${t.metadata.namespace}/${name}`;
  for (const t of triggers) {
    const from = fn(t, t.spec.functionRef);
    for (const n of t.spec.next) {
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(fn(t, n.functionRef));
    }
  }
  /** A path from `start` back to `target`, if any (depth-first, each function visited once). */
  const pathTo = (start: string, target: string): string[] | undefined => {
    const seen = new Set<string>();
    const walk = (at: string, path: string[]): string[] | undefined => {
      if (at === target) return path;
      if (seen.has(at)) return undefined;
      seen.add(at);
      for (const next of [...(edges.get(at) ?? [])].sort()) {
        const found = walk(next, [...path, next]);
        if (found) return found;
      }
      return undefined;
    };
    return walk(start, [start]);
  };
  const cycles = new Map<string, string>();
  for (const t of triggers) {
    const from = fn(t, t.spec.functionRef);
    for (const n of t.spec.next) {
      const loop = pathTo(fn(t, n.functionRef), from);
      if (loop) {
        cycles.set(objectKey(t), [from, ...loop].map((k) => k.slice(k.indexOf('/') + 1)).join(' → '));
        break;
      }
    }
  }
  return cycles;
}
