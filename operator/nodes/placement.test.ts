import { describe, expect, it } from 'vitest';
import { matchesSelector, place } from './placement.ts';
import type { Candidate } from './placement.ts';

const node = (name: string, load = 0, extra: Partial<Candidate> = {}): Candidate => ({ name, ready: true, labels: { zone: 'a' }, capacity: 10, load, ...extra });

describe('place', () => {
  it.each([
    { name: 'fills from least loaded, ties by name', current: [], desired: 2, nodes: [node('c', 1), node('b', 0), node('a', 0)], want: ['a', 'b'], shortfall: 0 },
    { name: 'keeps current nodes (sticky)', current: ['c'], desired: 2, nodes: [node('a'), node('b'), node('c', 5)], want: ['a', 'c'], shortfall: 0 },
    { name: 'moves off a node that stopped being ready', current: ['a', 'b'], desired: 2, nodes: [node('a', 0, { ready: false }), node('b'), node('c')], want: ['b', 'c'], shortfall: 0 },
    { name: 'moves off a cordoned node', current: ['a', 'b'], desired: 2, nodes: [node('a', 0, { cordoned: true }), node('b'), node('c')], want: ['b', 'c'], shortfall: 0 },
    { name: 'a cordoned node takes nothing new', current: ['b'], desired: 2, nodes: [node('a', 0, { cordoned: true }), node('b')], want: ['b'], shortfall: 1 },
    { name: 'scales down keeping the first by name', current: ['a', 'b', 'c'], desired: 1, nodes: [node('a'), node('b'), node('c')], want: ['a'], shortfall: 0 },
    { name: 'scale to zero', current: ['a'], desired: 0, nodes: [node('a')], want: [], shortfall: 0 },
    { name: 'full nodes take nothing new', current: [], desired: 2, nodes: [node('a', 10), node('b', 3)], want: ['b'], shortfall: 1 },
    { name: 'a full node keeps what it has', current: ['a'], desired: 1, nodes: [node('a', 10)], want: ['a'], shortfall: 0 },
    { name: 'no nodes', current: [], desired: 1, nodes: [], want: [], shortfall: 1 },
  ])('$name', ({ current, desired, nodes, want, shortfall }) => {
    const p = place({ current, desired, nodes });
    expect(p.nodes).toEqual(want);
    expect(p.shortfall).toBe(shortfall);
  });

  it('honours the node selector', () => {
    const p = place({ current: [], desired: 2, nodes: [node('a'), node('b', 0, { labels: { zone: 'b' } })], nodeSelector: { zone: 'b' } });
    expect(p).toEqual({ nodes: ['b'], eligible: 1, shortfall: 1 });
  });

  it('matchesSelector: every pair must match', () => {
    expect(matchesSelector({ a: '1', b: '2' }, { a: '1' })).toBe(true);
    expect(matchesSelector({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(matchesSelector({}, undefined)).toBe(true);
  });

  describe('topology spread', () => {
    const zoned = (name: string, zone: string | undefined, load = 0) => node(name, load, { labels: zone ? { zone } : {} });
    const nodes = [zoned('a1', 'a'), zoned('a2', 'a'), zoned('b1', 'b', 5), zoned('c1', 'c', 9)];
    it.each([
      { name: 'one per zone before doubling up', desired: 3, when: 'ScheduleAnyway', want: ['a1', 'b1', 'c1'], shortfall: 0 },
      { name: 'then the emptiest zone again', desired: 4, when: 'ScheduleAnyway', want: ['a1', 'a2', 'b1', 'c1'], shortfall: 0 },
      { name: 'DoNotSchedule stops at maxSkew', desired: 4, when: 'DoNotSchedule', want: ['a1', 'a2', 'b1', 'c1'], shortfall: 0 },
    ] as const)('$name', ({ desired, when, want, shortfall }) => {
      const p = place({ current: [], desired, nodes, topologySpread: { topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: when } });
      expect(p.nodes).toEqual(want);
      expect(p.shortfall).toBe(shortfall);
    });

    it('DoNotSchedule: skew past maxSkew leaves instances unplaced; unlabelled nodes are not eligible', () => {
      const two = [zoned('a1', 'a'), zoned('a2', 'a'), zoned('a3', 'a'), zoned('b1', 'b', 10), zoned('x', undefined)];
      const p = place({ current: [], desired: 4, nodes: two, topologySpread: { topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' } });
      // b1 is full, so zone b stays at 0 and zone a may hold at most 1.
      expect(p).toEqual({ nodes: ['a1'], eligible: 4, shortfall: 3 });
    });
  });
});
