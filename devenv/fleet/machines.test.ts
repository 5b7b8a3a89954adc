import { describe, expect, it } from 'vitest';
import { machinesFor } from './machines.ts';

const runtime = (name: string, nodeSelector?: Record<string, string>) => ({ metadata: { name, namespace: 'functions' }, spec: nodeSelector ? { nodeSelector } : {} });

describe('machinesFor', () => {
  it('puts every machine in every pool, with the labels the pools select on and each pool\'s ServiceAccount', () => {
    const machines = machinesFor('edge-a', 2, [runtime('default'), runtime('large', { 'flotilla.dev/pool': 'large' })]);
    expect(machines.map((m) => m.name)).toEqual(['edge-a-node-1', 'edge-a-node-2']);
    for (const m of machines) {
      expect(m.labels).toEqual({ 'flotilla.dev/pool': 'large' });
      expect(m.pools).toEqual([
        { name: 'default', namespace: 'functions', serviceAccount: 'flotilla-node-default' },
        { name: 'large', namespace: 'functions', serviceAccount: 'flotilla-node-large' },
      ]);
    }
  });

  it('leaves out a pool whose selectors contradict another pool\'s (no machine can match both)', () => {
    const machines = machinesFor('edge-a', 1, [runtime('a', { zone: 'a' }), runtime('b', { zone: 'b' })]);
    expect(machines[0]?.pools.map((p) => p.name)).toEqual(['b']);
  });

  it.each([0, -1, 1.5])('refuses %s machines', (count) => {
    expect(() => machinesFor('edge-a', count, [])).toThrow(/expected an integer >= 1/);
  });
});
