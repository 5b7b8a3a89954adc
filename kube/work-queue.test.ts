import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.ts';
import { WorkQueue } from './work-queue.ts';

/** Takes every key that is ready now, without waiting. */
async function drainReady(q: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (q.depth > 0) {
    const key = await q.get();
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('deduplicates pending keys and keeps first-in order', async () => {
    const q = new WorkQueue(new ManualClock());
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    expect(q.depth).toBe(3);
    expect(await drainReady(q)).toEqual(['a', 'b', 'c']);
  });

  it('never hands out a key being processed; a change meanwhile runs it again after done', async () => {
    const q = new WorkQueue(new ManualClock());
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.depth).toBe(0); // not ready while processing
    expect(q.isProcessing('a')).toBe(true);
    q.done('a');
    expect(q.depth).toBe(1); // queued once, not twice
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.depth).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue(new ManualClock());
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    expect(q.isProcessing('x')).toBe(true);
  });

  it.each([
    { name: 'delay fires after its time', ops: [['after', 'a', 100]], advance: [99, 1], readyAt: [[], ['a']] },
    { name: 'earliest delay wins', ops: [['after', 'a', 100], ['after', 'a', 50]], advance: [50, 100], readyAt: [['a'], []] },
    { name: 'later delay does not postpone', ops: [['after', 'a', 50], ['after', 'a', 100]], advance: [50, 100], readyAt: [['a'], []] },
    { name: 'immediate add cancels the delay', ops: [['add', 'a', 0], ['after', 'a', 10]], advance: [0, 100], readyAt: [['a'], []] },
    { name: 'zero delay is immediate', ops: [['after', 'a', 0]], advance: [0], readyAt: [['a']] },
  ] as const)('addAfter: $name', async ({ ops, advance, readyAt }) => {
    const clock = new ManualClock();
    const q = new WorkQueue(clock);
    for (const [op, key, ms] of ops) {
      if (op === 'add') q.add(key);
      else q.addAfter(key, ms);
    }
    for (let i = 0; i < advance.length; i++) {
      clock.advance(advance[i] ?? 0);
      const keys = await drainReady(q);
      for (const k of keys) q.done(k);
      expect(keys).toEqual(readyAt[i]);
    }
  });

  it('a delay requested while the key is processing fires later', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue(clock);
    q.add('a');
    await q.get();
    q.addAfter('a', 30); // the usual "requeue after" from a finishing reconcile
    q.done('a');
    expect(q.depth).toBe(0);
    clock.advance(30);
    expect(await q.get()).toBe('a');
  });

  it('shutDown releases waiting workers, drops pending keys and waits for in-flight ones', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue(clock);
    q.add('busy');
    await q.get();
    q.add('pending');
    q.addAfter('later', 1000);
    const idle = q.get(); // would wait for 'pending'? no: 'pending' is ready, so this returns it
    expect(await idle).toBe('pending');
    q.done('pending');
    const waiter = q.get();
    let drained = false;
    const shutdown = q.shutDown().then(() => (drained = true));
    expect(await waiter).toBeUndefined();
    await Promise.resolve();
    expect(drained).toBe(false); // 'busy' still in flight
    expect(clock.pendingTimers).toBe(0);
    q.done('busy');
    await shutdown;
    expect(drained).toBe(true);
    q.add('after-shutdown');
    expect(await q.get()).toBeUndefined();
  });
});
