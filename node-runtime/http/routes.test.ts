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
