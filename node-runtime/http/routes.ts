/**
 * The route table: host, path prefix and method to a function. Most specific wins: exact host
 * before wildcard host before any host, then the longest path prefix; a prefix matches whole path
 * segments ("/api" matches "/api" and "/api/x", not "/apix"). Weighted backends pick by weight.
 */
import type { RouteDef } from '../resolve/desired-state.ts';

export interface RouteMatch {
  readonly route: RouteDef;
  readonly functionKey: string;
}

function hostRank(pattern: string, host: string): number {
  if (pattern === host) return 3;
  if (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1) return 2;
  if (pattern === '*') return 1;
  return 0;
}

function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === p || path.startsWith(`${p}/`);
}

/**
 * Picks a backend by weight among those `allowed` admits (all by default: a retry skips the ones
 * already tried, an open circuit its backend); `random` in [0,1) is injectable so tests are
 * deterministic. Undefined when no allowed backend has weight.
 */
export function pickBackend(route: RouteDef, random: number, allowed: (functionKey: string) => boolean = () => true): string | undefined {
  const candidates = route.backends.filter((b) => b.weight > 0 && allowed(b.functionKey));
  const total = candidates.reduce((n, b) => n + b.weight, 0);
  if (total <= 0) return undefined;
  let point = random * total;
  for (const b of candidates) {
    if (point < b.weight) return b.functionKey;
    point -= b.weight;
  }
  return candidates.at(-1)?.functionKey;
}

export class RouteTable {
  private readonly routes: readonly RouteDef[];

  constructor(routes: readonly RouteDef[]) {
    this.routes = routes;
  }

  /** The keys of the routes in the table. */
  keys(): string[] {
    return this.routes.map((r) => r.key);
  }

  /** The route for a request, or undefined. `host` without port, lowercased. */
  match(host: string, path: string, method: string, random = Math.random()): RouteMatch | undefined {
    let best: { route: RouteDef; rank: number; len: number } | undefined;
    for (const route of this.routes) {
      const rank = hostRank(route.host, host);
      if (rank === 0 || !prefixMatches(route.pathPrefix, path)) continue;
      if (route.methods.length > 0 && !route.methods.includes(method)) continue;
      const len = route.pathPrefix.length;
      if (!best || rank > best.rank || (rank === best.rank && len > best.len)) best = { route, rank, len };
    }
    if (!best) return undefined;
    const functionKey = pickBackend(best.route, random);
    return functionKey === undefined ? undefined : { route: best.route, functionKey };
  }
}
