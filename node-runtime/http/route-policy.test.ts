import { describe, expect, it } from 'vitest';
import type { RouteDef } from '../resolve/desired-state.ts';
import { RoutePolicies } from './route-policy.ts';
import { RouteTable } from './routes.ts';

const route = (key: string, policies: Partial<RouteDef> = {}): RouteDef => ({
  key,
  host: '*',
  pathPrefix: `/${key}`,
  methods: [],
  backends: [{ functionKey: 'ns/a', weight: 50 }, { functionKey: 'ns/b', weight: 50 }],
  timeoutMs: 1000,
  ...policies,
});

const drain = (p: RoutePolicies, r: RouteDef, now: number) => {
  let n = 0;
  while (p.admit(r, now).ok) n++;
  return n;
};

describe('RoutePolicies', () => {
  it('admits everything and keeps no breaker for a route without policies', () => {
    const p = new RoutePolicies();
    const r = route('free');
    for (let i = 0; i < 1000; i++) expect(p.admit(r, 0).ok).toBe(true);
    expect(p.breaker(r, 'ns/a', 0)).toBeUndefined();
  });

  it('keeps one bucket per route and one breaker per route backend', () => {
    const p = new RoutePolicies();
    const limited = { rateLimit: { requestsPerSecond: 1, burst: 2 }, circuitBreaker: { consecutiveErrors: 1, openMs: 100 } };
    const r1 = route('r1', limited);
    const r2 = route('r2', limited);
    expect(drain(p, r1, 0)).toBe(2);
    expect(drain(p, r2, 0)).toBe(2);
    const a = p.breaker(r1, 'ns/a', 0)!;
    a.record(a.begin(0)!, true, 0);
    expect(p.breaker(r1, 'ns/a', 1)?.admits(1)).toBe(false);
    expect(p.breaker(r1, 'ns/b', 1)?.admits(1)).toBe(true);
    expect(p.breaker(r2, 'ns/a', 1)?.admits(1)).toBe(true);
  });

  it('keeps state across a new desired state with the same policy, starts afresh when the policy changes', () => {
    const p = new RoutePolicies();
    const v1 = route('r', { rateLimit: { requestsPerSecond: 1, burst: 2 } });
    p.sync(new RouteTable([v1]));
    expect(drain(p, v1, 0)).toBe(2);
    // An equal route in a new table (any manifest change rebuilds every RouteDef): still drained.
    const same = route('r', { rateLimit: { requestsPerSecond: 1, burst: 2 } });
    p.sync(new RouteTable([same]));
    expect(p.admit(same, 0).ok).toBe(false);
    const bigger = route('r', { rateLimit: { requestsPerSecond: 1, burst: 5 } });
    p.sync(new RouteTable([bigger]));
    expect(drain(p, bigger, 0)).toBe(5);
  });

  it('forgets a route that left the table', () => {
    const p = new RoutePolicies();
    const r = route('r', { rateLimit: { requestsPerSecond: 1, burst: 1 } });
    p.sync(new RouteTable([r]));
    expect(drain(p, r, 0)).toBe(1);
    p.sync(new RouteTable([]));
    p.sync(new RouteTable([r]));
    expect(drain(p, r, 0)).toBe(1);
  });
});
