import { describe, expect, it } from 'vitest';
import { recoveryFor } from './informer.ts';
import { KubeApiError } from './errors.ts';
import { Store } from './store.ts';
import type { KubeObject } from './resource.ts';

const o = (name: string, rv: string, namespace = 'ns'): KubeObject => ({ metadata: { name, namespace, resourceVersion: rv } });

describe('Store', () => {
  it('reports an apply only when the resourceVersion changed', () => {
    const s = new Store();
    expect(s.apply(o('a', '1'))?.type).toBe('Applied');
    expect(s.apply(o('a', '1'))).toBeUndefined();
    expect(s.apply(o('a', '2'))?.type).toBe('Applied');
    expect(s.get('ns/a')?.metadata.resourceVersion).toBe('2');
  });

  it('replace after a relist reports new, changed and vanished objects', () => {
    const s = new Store();
    s.replace([o('same', '1'), o('changed', '1'), o('gone', '1')]);
    const changes = s.replace([o('same', '1'), o('changed', '2'), o('new', '1')]);
    expect(changes.map((c) => `${c.type}:${c.object.metadata.name}`).sort()).toEqual(['Applied:changed', 'Applied:new', 'Deleted:gone']);
    expect(s.keys().sort()).toEqual(['ns/changed', 'ns/new', 'ns/same']);
  });

  it('deleting an unknown object is not a change', () => {
    expect(new Store().delete(o('x', '1'))).toBeUndefined();
  });
});

describe('recoveryFor', () => {
  it.each([
    { err: new KubeApiError('Gone', 410, 'too old resource version'), recovery: 'Relist' },
    { err: new KubeApiError('Unreachable', 0, 'ECONNREFUSED'), recovery: 'RetryAfterBackoff' },
    { err: new KubeApiError('Forbidden', 403, 'no list permission'), recovery: 'RetryAfterBackoff' },
    { err: new Error('parse'), recovery: 'RetryAfterBackoff' },
  ])('$err.message → $recovery', ({ err, recovery }) => {
    expect(recoveryFor(err)).toBe(recovery);
  });
});
