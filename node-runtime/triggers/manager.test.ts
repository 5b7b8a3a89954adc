import { describe, expect, it } from 'vitest';
import type { FunctionTrigger } from '../../api/index.ts';
import { triggerDef } from './manager.ts';

const t = (next: string[]): FunctionTrigger =>
  ({
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'FunctionTrigger',
    metadata: { name: 'orders', namespace: 'shop' },
    spec: { functionRef: 'a', type: 'nats', nats: { url: 'nats://x:4222', stream: 'S', subject: 's.>' }, retry: { maxAttempts: 3, backoff: { initialMs: 1, maxMs: 1, multiplier: 1 } }, concurrency: 1, filters: [], next: next.map((functionRef) => ({ functionRef })) },
  });

describe('triggerDef', () => {
  it('plans the chain in the trigger\'s namespace and waits for the whole chain before redelivery', () => {
    const def = triggerDef(t(['b', 'c']), { timeouts: new Map([['shop/a', 1000], ['shop/b', 2000]]) });
    expect(def.key).toBe('shop/orders');
    expect(def.plan).toEqual(['shop/a', 'shop/b', 'shop/c']);
    // a and b hosted here (their timeouts), c elsewhere (30 s assumed), plus the 2 s margin.
    expect(def.ackWaitMs).toBe(1000 + 2000 + 30_000 + 2000);
  });

  it('refuses a cycle', () => {
    expect(() => triggerDef(t(['b', 'a']), { timeouts: new Map() })).toThrow(expect.objectContaining({ code: 'ChainCycle' }));
  });
});
