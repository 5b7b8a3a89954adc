import { describe, expect, it } from 'vitest';
import { addFinalizerPatch, finalizerStep, removeFinalizerPatch } from './finalizer.ts';
import type { KubeObject } from './resource.ts';

const F = 'flotilla.dev/cleanup';
const obj = (finalizers: string[] | undefined, deleting: boolean): KubeObject => ({
  metadata: { name: 'f', namespace: 'ns', resourceVersion: '42', finalizers, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});

describe('finalizerStep', () => {
  it.each([
    { finalizers: undefined, deleting: false, step: 'AddFinalizer' },
    { finalizers: ['other'], deleting: false, step: 'AddFinalizer' },
    { finalizers: [F], deleting: false, step: 'Apply' },
    { finalizers: ['other', F], deleting: true, step: 'Cleanup' },
    { finalizers: [F], deleting: true, step: 'Cleanup' },
    { finalizers: ['other'], deleting: true, step: 'Done' },
    { finalizers: undefined, deleting: true, step: 'Done' },
  ] as const)('finalizers=$finalizers deleting=$deleting → $step', ({ finalizers, deleting, step }) => {
    expect(finalizerStep(obj(finalizers ? [...finalizers] : undefined, deleting), F)).toBe(step);
  });
});

describe('finalizer patches', () => {
  it('adds the list guarded by resourceVersion when there is none', () => {
    expect(addFinalizerPatch(obj(undefined, false), F)).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'add', path: '/metadata/finalizers', value: [F] },
    ]);
  });

  it('appends guarded by the exact current list', () => {
    expect(addFinalizerPatch(obj(['a', 'b'], false), F)).toEqual([
      { op: 'test', path: '/metadata/finalizers', value: ['a', 'b'] },
      { op: 'add', path: '/metadata/finalizers/-', value: F },
    ]);
  });

  it('removes by index guarded by a test of that index', () => {
    expect(removeFinalizerPatch(obj(['a', F, 'b'], true), F)).toEqual([
      { op: 'test', path: '/metadata/finalizers/1', value: F },
      { op: 'remove', path: '/metadata/finalizers/1' },
    ]);
  });

  it('removing an absent finalizer is an empty patch', () => {
    expect(removeFinalizerPatch(obj(['a'], true), F)).toEqual([]);
  });
});
