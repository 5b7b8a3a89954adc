import { describe, expect, it } from 'vitest';
import type { RegisteredNode } from '../../api/index.ts';
import { Store } from '../../kube/index.ts';
import type { KubeObject } from '../../kube/index.ts';
import { nodeChangeMatters, withNodeObject } from './node-labels.ts';

const node = (labels: Record<string, string>): RegisteredNode => ({ name: 'n1', namespace: 'ns', runtime: 'edge', labels, capacity: { functions: 10 }, version: '0.1.0', report: {}, expiresAtMs: 0, ready: true });
const nodeObject = (name: string, labels: Record<string, string>, unschedulable?: boolean): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, ...(unschedulable === undefined ? {} : { spec: { unschedulable } }) });

describe('withNodeObject', () => {
  const nodes = new Store<KubeObject>();
  nodes.apply(nodeObject('n1', { 'topology.kubernetes.io/zone': 'b', site: 'berlin' }));
  nodes.apply(nodeObject('n2', {}, true));
  it.each<{ name: string; lease: Record<string, string>; node: string; labels: Record<string, string>; cordoned: boolean }>([
    { name: 'a Node object of the same name: its labels win', lease: { site: 'lisbon', extra: 'x' }, node: 'n1', labels: { site: 'berlin', extra: 'x', 'topology.kubernetes.io/zone': 'b' }, cordoned: false },
    { name: 'no Node object (a bare edge device): the Lease labels as registered, never cordoned', lease: { site: 'lisbon' }, node: 'device-7', labels: { site: 'lisbon' }, cordoned: false },
    { name: 'a cordoned Node (spec.unschedulable)', lease: {}, node: 'n2', labels: {}, cordoned: true },
  ])('$name', ({ lease, node: name, labels, cordoned }) => {
    const placed = withNodeObject({ ...node(lease), name }, nodes);
    expect(placed.labels).toEqual(labels);
    expect(placed.cordoned).toBe(cordoned);
  });
});

describe('nodeChangeMatters', () => {
  it.each([
    { name: 'a new Node', now: nodeObject('n1', { a: '1' }), old: undefined, want: true },
    { name: 'a status update (same labels, same cordon)', now: nodeObject('n1', { a: '1' }, false), old: nodeObject('n1', { a: '1' }), want: false },
    { name: 'a relabel', now: nodeObject('n1', { a: '2' }), old: nodeObject('n1', { a: '1' }), want: true },
    { name: 'a cordon', now: nodeObject('n1', { a: '1' }, true), old: nodeObject('n1', { a: '1' }), want: true },
    { name: 'an uncordon', now: nodeObject('n1', { a: '1' }), old: nodeObject('n1', { a: '1' }, true), want: true },
  ])('$name', ({ now, old, want }) => {
    expect(nodeChangeMatters(now, old)).toBe(want);
  });
});
