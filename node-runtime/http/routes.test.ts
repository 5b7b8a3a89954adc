import { describe, expect, it } from 'vitest';
import type { RouteDef } from '../resolve/desired-state.ts';
import { pickBackend, RouteTable } from './routes.ts';

const route = (key: string, host: string, pathPrefix: string, methods: string[] = [], backends = [{ functionKey: key, weight: 100 }]): RouteDef => ({ key, host, pathPrefix, methods, backends, timeoutMs: 1000 });

const table = new RouteTable([
  route('any-root', '*', '/'),
  route('any-api', '*', '/api'),
  route('wild-api', '*.example.com', '/api'),
  route('exact-api', 'fn.example.com', '/api'),
  route('exact-api-v2', 'fn.example.com', '/api/v2/'),
  route('post-only', '*', '/submit', ['POST']),
]);

describe('RouteTable.match', () => {
  it.each([
    ['fn.example.com', '/api/x', 'GET', 'exact-api'],
    ['fn.example.com', '/api/v2/x', 'GET', 'exact-api-v2'],
    ['fn.example.com', '/api/v2', 'GET', 'exact-api-v2'],
    ['other.example.com', '/api', 'GET', 'wild-api'],
    ['example.com', '/api', 'GET', 'any-api'],
    ['localhost', '/apix', 'GET', 'any-root'],
    ['localhost', '/submit', 'POST', 'post-only'],
    ['localhost', '/submit', 'GET', 'any-root'],
  ])('%s %s %s -> %s', (host, path, method, key) => {
    expect(table.match(host, path, method)?.route.key).toBe(key);
  });

  it('finds nothing without a matching route', () => {
    expect(new RouteTable([route('a', 'a.test', '/')]).match('b.test', '/', 'GET')).toBeUndefined();
  });

  it('splits traffic by weight', () => {
    const r = route('canary', '*', '/', [], [{ functionKey: 'stable', weight: 90 }, { functionKey: 'canary', weight: 10 }]);
    expect(pickBackend(r, 0)).toBe('stable');
    expect(pickBackend(r, 0.899)).toBe('stable');
    expect(pickBackend(r, 0.9)).toBe('canary');
    expect(pickBackend(r, 0.999)).toBe('canary');
  });

  it('picks by weight among the allowed backends only (retries, open circuits)', () => {
    const r = route('three', '*', '/', [], [{ functionKey: 'a', weight: 50 }, { functionKey: 'b', weight: 30 }, { functionKey: 'c', weight: 20 }]);
    const notA = (k: string) => k !== 'a';
    expect(pickBackend(r, 0, notA)).toBe('b');
    expect(pickBackend(r, 0.59, notA)).toBe('b');
    expect(pickBackend(r, 0.6, notA)).toBe('c');
    expect(pickBackend(r, 0.5, () => false)).toBeUndefined();
    const zero = route('zero', '*', '/', [], [{ functionKey: 'a', weight: 100 }, { functionKey: 'z', weight: 0 }]);
    expect(pickBackend(zero, 0.5, notA)).toBeUndefined();
  });
});

/** The matcher before the index (a scan of every route), kept here as the oracle the index must agree with. */
function linearMatch(routes: readonly RouteDef[], host: string, path: string, method: string): RouteDef | undefined {
  const hostRank = (pattern: string): number => {
    if (pattern === host) return 3;
    if (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1) return 2;
    return pattern === '*' ? 1 : 0;
  };
  const prefixMatches = (prefix: string): boolean => {
    if (prefix === '/') return true;
    const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    return path === p || path.startsWith(`${p}/`);
  };
  let best: { route: RouteDef; rank: number; len: number } | undefined;
  for (const r of routes) {
    const rank = hostRank(r.host);
    if (rank === 0 || !prefixMatches(r.pathPrefix)) continue;
    if (r.methods.length > 0 && !r.methods.includes(method)) continue;
    const len = r.pathPrefix.length;
    if (!best || rank > best.rank || (rank === best.rank && len > best.len)) best = { route: r, rank, len };
  }
  return best?.route;
}

describe('RouteTable index', () => {
  // A small deterministic generator (mulberry32): the same table every run, and a failure names its case.
  let seed = 0x5eed;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const labels = ['a', 'b', 'fn', 'example', 'com', 'test'];
  const hostOf = () => Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(labels)).join('.');
  const segments = ['api', 'v2', 'x', 'api2', 'submit', ''];
  const pathOf = () => `/${Array.from({ length: Math.floor(rand() * 4) }, () => pick(segments)).join('/')}`;
  const patterns = () => pick([hostOf, hostOf, () => `*.${hostOf()}`, () => '*', () => '*.', () => `*.${hostOf()}.`]);
  const prefixOf = () => pick([pathOf, () => `${pathOf()}/`, () => '/', () => '', () => '//']);

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('agrees with the linear matcher on random table %i (200 routes, 2000 requests)', () => {
    const routes = Array.from({ length: 200 }, (_, i) =>
      route(`r${i}`, patterns()(), prefixOf()(), rand() < 0.2 ? [pick(['GET', 'POST'])] : [], [{ functionKey: `f${i}`, weight: rand() < 0.05 ? 0 : 1 }]),
    );
    const indexed = new RouteTable(routes);
    for (let i = 0; i < 2000; i++) {
      // Requests for hosts the patterns name literally too ("*.a.com", "*"): those rank as exact; ".a.com" matches no `*.a.com`.
      const host = rand() < 0.1 ? pick(routes).host : rand() < 0.05 ? `.${hostOf()}` : hostOf();
      const path = rand() < 0.05 ? pick(['', '*', '//', '/api//x']) : pathOf();
      const method = pick(['GET', 'POST', 'PUT']);
      const want = linearMatch(routes, host, path, method);
      const got = indexed.match(host, path, method, 0);
      const wantKey = want && want.backends[0]!.weight > 0 ? want.key : undefined;
      expect(got?.route.key, `${host} ${path} ${method}`).toBe(wantKey);
    }
  });
});
