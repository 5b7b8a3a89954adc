import { describe, expect, it } from 'vitest';
import { placementChange } from './reconciler.ts';

describe('placementChange', () => {
  const nodes = [{ name: 'a', ready: false }, { name: 'b', ready: true }, { name: 'c', ready: true }];
  it.each([
    { name: 'unchanged', before: ['a', 'b'], after: ['b', 'a'], want: undefined },
    { name: 'first placement', before: [], after: ['b', 'c'], want: 'placed on b, c' },
    { name: 'moved off an expired node', before: ['a', 'b'], after: ['b', 'c'], want: 'placed on c; removed from a (lease expired)' },
    { name: 'scaled down', before: ['b', 'c'], after: ['b'], want: 'removed from c (scaled down or unplaced)' },
    { name: 'node forgotten', before: ['z'], after: [], want: 'removed from z (node gone)' },
    { name: 'idle: scaled to zero', before: ['b'], after: [], want: 'removed from b (idle)', idle: ['b'] },
  ])('$name', ({ before, after, want, idle }) => {
    expect(placementChange(before, after, nodes, idle)).toBe(want);
  });
});
