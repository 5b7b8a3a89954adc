import { describe, expect, it } from 'vitest';
import type { RegisteredNode } from '../../api/index.ts';
import { Store } from '../../kube/index.ts';
import type { KubeObject } from '../../kube/index.ts';
import { withNodeObjectLabels } from './node-labels.ts';

const node = (labels: Record<string, string>): RegisteredNode => ({ name: 'n1', namespace: 'ns', runtime: 'edge', labels, capacity: { functions: 10 }, version: '0.1.0', report: {}, expiresAtMs: 0, ready: true });

describe('withNodeObjectLabels', () => {
  const nodes = new Store<KubeObject>();
  nodes.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'b', site: 'berlin' } } });
  it.each<{ name: string; lease: Record<string, string>; node: string; labels: Record<string, string> }>([
    { name: 'a Node object of the same name: its labels win', lease: { site: 'lisbon', extra: 'x' }, node: 'n1', labels: { site: 'berlin', extra: 'x', 'topology.kubernetes.io/zone': 'b' } },
    { name: 'no Node object (a bare edge device): the Lease labels as registered', lease: { site: 'lisbon' }, node: 'device-7', labels: { site: 'lisbon' } },
  ])('$name', ({ lease, node: name, labels }) => {
    expect(withNodeObjectLabels({ ...node(lease), name }, nodes).labels).toEqual(labels);
  });
});
