import { describe, expect, it } from 'vitest';
import type { ArgoApp } from './argocd-api.ts';
import { argoErrors, notCompared, notSynced, PersistentErrors } from './argocd-wait.ts';
import type { ArgoAppSet } from './argocd-wait.ts';

const refused = 'failed to list refs: dial tcp 127.0.0.1:9418: connect: connection refused';

describe('argoErrors', () => {
  it('takes ComparisonError from Applications and ErrorOccurred=True from ApplicationSets, nothing else', () => {
    const apps: ArgoApp[] = [
      { metadata: { name: 'flotilla-a' }, status: { sync: { status: 'Unknown' }, conditions: [{ type: 'ComparisonError', message: `Failed to load target state: ${refused}` }] } },
      { metadata: { name: 'flotilla-b' }, status: { sync: { status: 'OutOfSync' }, conditions: [{ type: 'SyncError', message: 'retrying' }] } },
    ];
    const sets: ArgoAppSet[] = [
      { metadata: { name: 'clusters' }, status: { conditions: [{ type: 'ErrorOccurred', status: 'True', message: refused }, { type: 'ResourcesUpToDate', status: 'False', message: 'x' }] } },
      { metadata: { name: 'fine' }, status: { conditions: [{ type: 'ErrorOccurred', status: 'False', message: 'Successfully generated parameters' }] } },
    ];
    expect(argoErrors(apps, sets)).toEqual([
      { source: 'ApplicationSet clusters', message: refused },
      { source: 'Application flotilla-a', message: `Failed to load target state: ${refused}` },
    ]);
    expect(argoErrors([{ metadata: { name: 'new' } }], [{ metadata: { name: 'new' } }])).toEqual([]);
  });
});

describe('PersistentErrors', () => {
  const e = { source: 'Application a', message: 'refused' };
  const cases: { name: string; polls: { at: number; errors: (typeof e)[] }[]; stuckAt: number | undefined }[] = [
    { name: 'an error that lasts the grace period', polls: [0, 10_000, 20_000].map((at) => ({ at, errors: [e] })), stuckAt: 20_000 },
    { name: 'one clean poll starts the count again', polls: [{ at: 0, errors: [e] }, { at: 10_000, errors: [] }, { at: 12_000, errors: [e] }, { at: 30_000, errors: [e] }, { at: 32_000, errors: [e] }], stuckAt: 32_000 },
    { name: 'errors that come and go never fail', polls: [0, 8_000, 16_000, 24_000, 32_000].map((at, i) => ({ at, errors: i % 2 === 0 ? [e] : [] })), stuckAt: undefined },
    { name: 'no errors', polls: [{ at: 0, errors: [] }, { at: 60_000, errors: [] }], stuckAt: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = new PersistentErrors(20_000);
      const stuck = c.polls.find((poll) => p.observe(poll.errors, poll.at) !== undefined);
      expect(stuck?.at).toBe(c.stuckAt);
    });
  }

  it('says how long the error lasted', () => {
    const p = new PersistentErrors(20_000);
    p.observe([e], 1_000);
    expect(p.observe([e], 23_000)).toEqual({ ...e, forMs: 22_000 });
  });
});

describe('notCompared / notSynced', () => {
  const app = (name: string, sync?: string): ArgoApp => ({ metadata: { name }, ...(sync ? { status: { sync: { status: sync } } } : {}) });
  const apps = [app('new'), app('unknown', 'Unknown'), app('out', 'OutOfSync'), app('synced', 'Synced')];
  it('a comparison that ran, in sync or not, is compared', () => expect(notCompared(apps).map((a) => a.metadata.name)).toEqual(['new', 'unknown']));
  it('only Synced is synced', () => expect(notSynced(apps).map((a) => a.metadata.name)).toEqual(['new', 'unknown', 'out']));
});
