/**
 * The route table: host, path prefix and method to a function. Most specific wins: exact host
 * before wildcard host before any host, then the longest path prefix; a prefix matches whole path
 * segments ("/api" matches "/api" and "/api/x", not "/apix"). Weighted backends pick by weight.
 * Indexed by host pattern, then by path prefix, so a lookup costs a few map lookups per host label
 * and path segment, not a scan of every route (bench/runtime/route-lookup.ts).
 */
import type { RouteDef } from '../resolve/desired-state.ts';

export interface RouteMatch {
  readonly route: RouteDef;
  readonly functionKey: string;
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
  /** By host exactly as written (a pattern equal to the request's host ranks first, even `*` or `*.x`). */
  private readonly exact = new Map<string, PathIndex>();
  /** `*.example.com` routes by their suffix `.example.com`. */
  private readonly wildcard = new Map<string, PathIndex>();
  private readonly anyHost = new PathIndex();

  constructor(routes: readonly RouteDef[]) {
    this.routes = routes;
    const at = (map: Map<string, PathIndex>, key: string) => {
      let index = map.get(key);
      if (!index) map.set(key, (index = new PathIndex()));
      return index;
    };
    routes.forEach((route, order) => {
      at(this.exact, route.host).add(route, order);
      if (route.host.startsWith('*.')) at(this.wildcard, route.host.slice(1)).add(route, order);
      else if (route.host === '*') this.anyHost.add(route, order);
    });
    for (const index of [...this.exact.values(), ...this.wildcard.values(), this.anyHost]) index.sort();
  }

  /** The keys of the routes in the table. */
  keys(): string[] {
    return this.routes.map((r) => r.key);
  }

  /** The route for a request, or undefined. `host` without port, lowercased. */
  match(host: string, path: string, method: string, random = Math.random()): RouteMatch | undefined {
    const best = this.exact.get(host)?.best(path, method) ?? this.bestWildcard(host, path, method) ?? this.anyHost.best(path, method);
    if (!best) return undefined;
    const functionKey = pickBackend(best.route, random);
    return functionKey === undefined ? undefined : { route: best.route, functionKey };
  }

  /** Every `*.suffix` the host ends with (one label at least before it) ranks the same: longest prefix, then table order. */
  private bestWildcard(host: string, path: string, method: string): Indexed | undefined {
    if (this.wildcard.size === 0) return undefined;
    let best: Indexed | undefined;
    for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
      best = better(best, this.wildcard.get(host.slice(dot))?.best(path, method));
    }
    return best;
  }
}

interface Indexed {
  readonly route: RouteDef;
  /** Position in the table: the first of equally specific routes wins. */
  readonly order: number;
}

/** The more specific of two candidates of one host rank: the longer prefix as written, then the earlier route. */
function better(a: Indexed | undefined, b: Indexed | undefined): Indexed | undefined {
  if (!a || !b) return a ?? b;
  const la = a.route.pathPrefix.length;
  const lb = b.route.pathPrefix.length;
  return lb > la || (lb === la && b.order < a.order) ? b : a;
}

/**
 * The routes of one host pattern by path prefix. A prefix `p` (trailing `/` dropped) matches a
 * path equal to it or continuing with `/`, so a path's candidates are the path itself and each
 * part of it before a `/`: one map lookup per segment, whatever the number of routes.
 */
class PathIndex {
  private readonly byPrefix = new Map<string, Indexed[]>();
  /** Prefix `/`: every path. */
  private readonly root: Indexed[] = [];

  add(route: RouteDef, order: number): void {
    const { pathPrefix: prefix } = route;
    const list = prefix === '/' ? this.root : this.listFor(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
    list.push({ route, order });
  }

  /** Most specific first, once all are added: within one list the first route the method admits is that list's best. */
  sort(): void {
    for (const list of [this.root, ...this.byPrefix.values()]) list.sort((a, b) => b.route.pathPrefix.length - a.route.pathPrefix.length || a.order - b.order);
  }

  best(path: string, method: string): Indexed | undefined {
    let best = firstAllowing(this.root, method);
    if (this.byPrefix.size === 0) return best;
    best = better(best, firstAllowing(this.byPrefix.get(path), method));
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      best = better(best, firstAllowing(this.byPrefix.get(path.slice(0, slash)), method));
    }
    return best;
  }

  private listFor(key: string): Indexed[] {
    let list = this.byPrefix.get(key);
    if (!list) this.byPrefix.set(key, (list = []));
    return list;
  }
}

function firstAllowing(list: readonly Indexed[] | undefined, method: string): Indexed | undefined {
  return list?.find((c) => c.route.methods.length === 0 || c.route.methods.includes(method));
}
