import { describe, expect, it } from 'vitest';
import type { RegisteredNode } from '../../api/index.ts';
import { runtimeStatus } from './status.ts';

const n = (name: string, ready: boolean, version = '1.0.0'): RegisteredNode => ({
  name, namespace: 'ns', runtime: 'edge', labels: {}, capacity: { functions: 10 }, version, report: {}, expiresAtMs: 0, ready,
});

describe('runtimeStatus', () => {
  it.each([
    { name: 'no nodes', nodes: [], ready: ['False', 'NodesNotReady'], progressing: 'RolloutComplete', counts: [0, 0] },
    { name: 'all ready', nodes: [n('a', true), n('b', true)], ready: ['True', 'AllNodesReady'], progressing: 'RolloutComplete', counts: [2, 2] },
    { name: 'one expired', nodes: [n('a', true), n('b', false)], ready: ['False', 'NodesNotReady'], progressing: 'RolloutComplete', counts: [1, 2] },
    { name: 'rolling', nodes: [n('a', true, 'v1.0.0'), n('b', true, '0.9.0')], ready: ['True', 'AllNodesReady'], progressing: 'RolloutInProgress', counts: [2, 2] },
  ])('$name', ({ nodes, ready, progressing, counts }) => {
    const s = runtimeStatus({ version: '1.0.0' }, nodes);
    expect([s.conditions[0]?.status, s.conditions[0]?.reason]).toEqual(ready);
    expect(s.conditions[1]?.reason).toBe(progressing);
    expect([s.readyNodes, s.desiredNodes]).toEqual(counts);
  });

  it('counts DaemonSet-scheduled nodes that have not registered yet', () => {
    const s = runtimeStatus({ version: '1.0.0' }, [n('a', true)], 3);
    expect(s.desiredNodes).toBe(3);
    expect(s.conditions[0]?.message).toMatch(/1\/3 nodes ready; waiting/);
  });

  it('names the nodes that are not ready', () => {
    expect(runtimeStatus({ version: '1.0.0' }, [n('a', false)]).conditions[0]?.message).toBe('0/1 nodes ready; not ready: a (lease expired)');
  });
});
