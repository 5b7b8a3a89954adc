import { describe, expect, it } from 'vitest';
import { codeForStatus } from './errors.ts';
import { buildEvent, microTime } from './events.ts';
import { controllerRef, objectKey, resourcePath } from './resource.ts';
import type { ResourceType } from './resource.ts';

const fn: ResourceType = { group: 'flotilla.dev', version: 'v1alpha1', kind: 'WasmFunction', plural: 'wasmfunctions', namespaced: true };
const cm: ResourceType = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const node: ResourceType = { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };

describe('resourcePath', () => {
  it.each([
    { type: fn, parts: {}, path: '/apis/flotilla.dev/v1alpha1/wasmfunctions' },
    { type: fn, parts: { namespace: 'a' }, path: '/apis/flotilla.dev/v1alpha1/namespaces/a/wasmfunctions' },
    { type: fn, parts: { namespace: 'a', name: 'b', subresource: 'status' }, path: '/apis/flotilla.dev/v1alpha1/namespaces/a/wasmfunctions/b/status' },
    { type: cm, parts: { namespace: 'a', name: 'b' }, path: '/api/v1/namespaces/a/configmaps/b' },
    { type: node, parts: { namespace: 'ignored', name: 'n1' }, path: '/api/v1/nodes/n1' },
  ] as const)('$path', ({ type, parts, path }) => {
    expect(resourcePath(type, parts)).toBe(path);
  });

  it('refuses a subresource without a name', () => {
    expect(() => resourcePath(fn, { subresource: 'status' })).toThrow(/needs a name/);
  });
});

describe('keys', () => {
  it('keys namespaced objects as namespace/name and cluster-scoped ones as name', () => {
    expect(objectKey({ metadata: { name: 'b', namespace: 'a' } })).toBe('a/b');
    expect(objectKey({ metadata: { name: 'n1' } })).toBe('n1');
  });

  it('controllerRef needs a uid', () => {
    expect(() => controllerRef(fn, { metadata: { name: 'x' } })).toThrow(/metadata.uid/);
    expect(controllerRef(fn, { metadata: { name: 'x', uid: 'u' } })).toMatchObject({ apiVersion: 'flotilla.dev/v1alpha1', controller: true });
  });
});

describe('codeForStatus', () => {
  it.each([
    [404, undefined, 'NotFound'],
    [409, 'AlreadyExists', 'AlreadyExists'],
    [409, 'Conflict', 'Conflict'],
    [410, 'Expired', 'Gone'],
    [422, 'Invalid', 'Invalid'],
    [503, undefined, 'ServerError'],
  ] as const)('%i %s → %s', (status, reason, code) => {
    expect(codeForStatus(status, reason)).toBe(code);
  });
});

describe('events', () => {
  it('uses MicroTime and truncates long notes', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
    const ev = buildEvent(
      { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name: 'f', namespace: 'ns', uid: 'u' } },
      { type: 'Warning', reason: 'SignatureInvalid', action: 'Verify', note: 'x'.repeat(2000) },
      { nowMs: 0, suffix: 'abc', instance: 'op-1' },
    );
    expect(ev.metadata).toEqual({ name: 'f.abc', namespace: 'ns' });
    expect(ev.note.length).toBe(1024);
    expect(ev.regarding).toMatchObject({ kind: 'WasmFunction', name: 'f', uid: 'u' });
  });
});
