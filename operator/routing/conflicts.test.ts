import { describe, expect, it } from 'vitest';
import type { LiveFunctionRoute } from '../kinds.ts';
import { routeConflicts } from './conflicts.ts';

const route = (name: string, created: string, host: string, pathPrefix: string, methods: string[] = []): LiveFunctionRoute =>
  ({
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'FunctionRoute',
    metadata: { name, namespace: 'ns', creationTimestamp: created },
    spec: { host, pathPrefix, methods, backends: [{ functionRef: 'f', weight: 100 }] },
  }) as unknown as LiveFunctionRoute;

describe('routeConflicts', () => {
  it.each([
    { name: 'different hosts', routes: [route('a', '1', 'x', '/'), route('b', '2', 'y', '/')], rejected: {} },
    { name: 'different paths', routes: [route('a', '1', 'x', '/a'), route('b', '2', 'x', '/b')], rejected: {} },
    { name: 'same claim: the older wins', routes: [route('new', '2', 'x', '/'), route('old', '1', 'x', '/')], rejected: { 'ns/new': 'ns/old' } },
    { name: 'disjoint methods coexist', routes: [route('a', '1', 'x', '/', ['GET']), route('b', '2', 'x', '/', ['POST'])], rejected: {} },
    { name: 'all methods overlap GET', routes: [route('a', '1', 'x', '/', ['GET']), route('b', '2', 'x', '/')], rejected: { 'ns/b': 'ns/a' } },
    { name: 'same time: by name', routes: [route('b', '1', 'x', '/'), route('a', '1', 'x', '/')], rejected: { 'ns/b': 'ns/a' } },
  ])('$name', ({ routes, rejected }) => {
    expect(Object.fromEntries(routeConflicts(routes))).toEqual(rejected);
  });
});
