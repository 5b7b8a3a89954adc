/**
 * The node's route policy state: one token bucket per route with a rateLimit and one circuit
 * breaker per backend of a route with a circuitBreaker. All per node: nothing is shared between
 * nodes, so a limit of R requests/s on a route served by N nodes admits up to N×R in the cluster.
 * State survives desired-state updates as long as the route keeps its key and policy; a changed
 * policy starts afresh, a route that left the table is forgotten.
 */
import type { RouteDef } from '../resolve/desired-state.ts';
import { CircuitBreaker } from './route-policy-breaker.ts';
import { TokenBucket, type RateDecision } from './route-policy-rate.ts';
import type { RouteTable } from './routes.ts';

interface RouteState {
  /** The policy the state was built for. */
  readonly signature: string;
  readonly bucket?: TokenBucket;
  readonly breakers: Map<string, CircuitBreaker>;
}

/** Per RouteDef object (a new one arrives only with a new desired state), so the request path does not stringify. */
const signatures = new WeakMap<RouteDef, string>();
function signature(r: RouteDef): string {
  let sig = signatures.get(r);
  if (sig === undefined) {
    sig = JSON.stringify([r.rateLimit ?? null, r.circuitBreaker ?? null]);
    signatures.set(r, sig);
  }
  return sig;
}

export class RoutePolicies {
  private readonly states = new Map<string, RouteState>();
  private table: RouteTable | undefined;

  /** Forgets the routes that are no longer in `table` (cheap when it is the table seen last). */
  sync(table: RouteTable): void {
    if (table === this.table) return;
    this.table = table;
    const live = new Set(table.keys());
    for (const key of this.states.keys()) if (!live.has(key)) this.states.delete(key);
  }

  /** Takes a token from the route's bucket; always admitted without a rateLimit. */
  admit(route: RouteDef, nowMs: number): RateDecision {
    if (!route.rateLimit) return { ok: true };
    return this.stateOf(route, nowMs).bucket!.take(nowMs);
  }

  /** The breaker of one backend of the route, or undefined without a circuitBreaker. */
  breaker(route: RouteDef, functionKey: string, nowMs: number): CircuitBreaker | undefined {
    if (!route.circuitBreaker) return undefined;
    const { breakers } = this.stateOf(route, nowMs);
    let b = breakers.get(functionKey);
    if (!b) {
      b = new CircuitBreaker(route.circuitBreaker);
      breakers.set(functionKey, b);
    }
    return b;
  }

  private stateOf(route: RouteDef, nowMs: number): RouteState {
    const sig = signature(route);
    let s = this.states.get(route.key);
    if (s?.signature !== sig) {
      s = { signature: sig, ...(route.rateLimit ? { bucket: new TokenBucket(route.rateLimit, nowMs) } : {}), breakers: new Map() };
      this.states.set(route.key, s);
    }
    return s;
  }
}
