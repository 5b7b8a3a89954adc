/**
 * Route lookup at scale: the node's RouteTable with N routes (distinct exact hosts, wildcard
 * hosts and path prefixes on the any-host, a third each), timed over many lookups that hit routes
 * spread over the table, against a scan of every route in the same run (the matcher before the index).
 */
import { RouteTable } from '../../node-runtime/http/routes.ts';
import type { RouteDef } from '../../node-runtime/resolve/desired-state.ts';

export interface RouteLookupResult {
  readonly routes: number;
  /** Microseconds per lookup, one sample per run. */
  readonly indexed: number[];
  readonly linear: number[];
}

function routesOf(n: number): RouteDef[] {
  return Array.from({ length: n }, (_, i) => {
    const host = i % 3 === 0 ? `fn-${i}.edge.test` : i % 3 === 1 ? `*.tenant-${i}.test` : '*';
    return { key: `bench/r${i}`, host, pathPrefix: `/svc-${i}/api`, methods: [], backends: [{ functionKey: `bench/f${i}`, weight: 1 }], timeoutMs: 1000 };
  });
}

/** A scan of every route with the table's ranking: the baseline. */
function linear(routes: readonly RouteDef[], host: string, path: string): RouteDef | undefined {
  let best: { route: RouteDef; rank: number; len: number } | undefined;
  for (const r of routes) {
    const rank = r.host === host ? 3 : r.host.startsWith('*.') && host.endsWith(r.host.slice(1)) && host.length > r.host.length - 1 ? 2 : r.host === '*' ? 1 : 0;
    const p = r.pathPrefix.endsWith('/') ? r.pathPrefix.slice(0, -1) : r.pathPrefix;
    if (rank === 0 || !(r.pathPrefix === '/' || path === p || path.startsWith(`${p}/`))) continue;
    if (!best || rank > best.rank || (rank === best.rank && r.pathPrefix.length > best.len)) best = { route: r, rank, len: r.pathPrefix.length };
  }
  return best?.route;
}

function perLookup(lookups: number, requests: readonly (readonly [string, string])[], match: (host: string, path: string) => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < lookups; i++) {
    const [host, path] = requests[i % requests.length]!;
    if (match(host, path) === undefined) throw new Error(`route lookup: expected a route for ${host}${path}, got none`);
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / lookups;
}

export function measureRouteLookup(n: number, runs: number, log: (l: string) => void): RouteLookupResult {
  const routes = routesOf(n);
  const table = new RouteTable(routes);
  const requests = Array.from({ length: 997 }, (_, j) => {
    const i = Math.floor((j / 997) * n);
    const host = i % 3 === 0 ? `fn-${i}.edge.test` : i % 3 === 1 ? `x.tenant-${i}.test` : 'any.test';
    return [host, `/svc-${i}/api/items/42`] as const;
  });
  const out: RouteLookupResult = { routes: n, indexed: [], linear: [] };
  for (let r = 0; r < runs; r++) {
    const indexed = perLookup(200_000, requests, (h, p) => table.match(h, p, 'GET', 0));
    const scan = perLookup(2_000, requests, (h, p) => linear(routes, h, p));
    log(`route lookup run ${r + 1}: ${n} routes, indexed ${indexed.toFixed(3)} µs, linear scan ${scan.toFixed(1)} µs`);
    out.indexed.push(indexed);
    out.linear.push(scan);
  }
  return out;
}
