import { describe, expect, it } from 'vitest';
import { settle, timedOut, WaitingRoom } from './cold-start.ts';
import type { Held, Readiness } from './cold-start.ts';

describe('settle', () => {
  it.each([
    { r: { kind: 'dormant' }, want: undefined },
    { r: { kind: 'loading' }, want: undefined },
    { r: { kind: 'loaded' }, want: { ok: true, waitedMs: 5 } },
  ] as const)('$r.kind → $want', ({ r, want }) => {
    expect(settle('ns/f', 'n1', r, 5)).toEqual(want);
  });

  it.each([
    { name: 'a load failure keeps the node code', r: { kind: 'failed', code: 'MemoryLimitBelowInitial', message: 'needs 17 pages' }, code: 'MemoryLimitBelowInitial', message: 'cold start of ns/f on node n1 failed: needs 17 pages' },
    { name: 'an unknown code is a pull failure', r: { kind: 'failed', code: 'Error', message: 'boom' }, code: 'ModulePullFailed', message: 'cold start of ns/f on node n1 failed: boom' },
    { name: 'gone', r: { kind: 'gone' }, code: 'FunctionNotFound', message: 'no longer routed here' },
  ] as const)('$name', ({ r, code, message }) => {
    const held = settle('ns/f', 'n1', r, 0);
    expect(held?.ok).toBe(false);
    if (held && !held.ok) {
      expect(held.error.code).toBe(code);
      expect(held.error.message).toContain(message);
    }
  });

  it('a timeout names the step that did not happen', () => {
    expect(timedOut('ns/f', 'n1', { kind: 'dormant' }, 30_000).message).toMatch(/^cold start of ns\/f on node n1: not ready within 30 s: the operator has not placed it on this node/);
    const loading = timedOut('ns/f', 'n1', { kind: 'loading' }, 2000);
    expect(loading.code).toBe('Timeout');
    expect(loading.message).toContain('placed here but its module is still loading');
  });
});

describe('WaitingRoom', () => {
  const room = (state: Map<string, Readiness>, opts: { timeoutMs?: number; limit?: number } = {}) => {
    const changes: number[] = [];
    const r: WaitingRoom = new WaitingRoom({
      node: 'n1',
      readiness: (key) => state.get(key) ?? { kind: 'gone' },
      onChange: () => changes.push([...r.waiting().values()].reduce((a, b) => a + b, 0)),
      timeoutMs: opts.timeoutMs ?? 5000,
      limit: opts.limit ?? 10,
    });
    return { r, changes };
  };

  it('holds requests until the function is loaded, reporting how many wait', async () => {
    const state = new Map<string, Readiness>([['ns/f', { kind: 'dormant' }]]);
    const { r, changes } = room(state);
    const held = [r.hold('ns/f'), r.hold('ns/f')];
    expect(r.waiting()).toEqual(new Map([['ns/f', 2]]));
    state.set('ns/f', { kind: 'loading' });
    r.changed();
    expect(r.waiting().get('ns/f')).toBe(2);
    state.set('ns/f', { kind: 'loaded' });
    r.changed();
    const done = await Promise.all(held);
    expect(done.every((h) => h.ok)).toBe(true);
    expect(r.waiting().size).toBe(0);
    expect(changes).toEqual([1, 2, 1, 0]);
  });

  it('answers at once when there is nothing to wait for', async () => {
    const { r } = room(new Map([['ns/f', { kind: 'loaded' }]]));
    expect(await r.hold('ns/f')).toEqual({ ok: true, waitedMs: 0 });
    expect((await r.hold('ns/gone')).ok).toBe(false);
  });

  it('times out with a 504 naming the function, and past the limit answers 503 without holding', async () => {
    const { r } = room(new Map([['ns/f', { kind: 'dormant' }]]), { timeoutMs: 50, limit: 1 });
    const first = r.hold('ns/f');
    const second = await r.hold('ns/f');
    expect(second).toMatchObject({ ok: false, error: { code: 'Overloaded' } });
    const started = performance.now();
    const held: Held = await first;
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    expect(held).toMatchObject({ ok: false, error: { code: 'Timeout' } });
    if (!held.ok) expect(held.error.message).toContain('cold start of ns/f on node n1: not ready within 0.05 s');
    expect(r.waiting().size).toBe(0);
  });

  it('a client that goes away gives its place up', async () => {
    const { r, changes } = room(new Map([['ns/f', { kind: 'dormant' }]]));
    const gone = new AbortController();
    const held = r.hold('ns/f', gone.signal);
    gone.abort();
    expect(await held).toMatchObject({ ok: false });
    expect(r.waiting().size).toBe(0);
    expect(changes).toEqual([1, 0]);
  });

  it('a failed load answers every held request with its reason; close answers the rest', async () => {
    const state = new Map<string, Readiness>([['ns/f', { kind: 'dormant' }], ['ns/g', { kind: 'dormant' }]]);
    const { r } = room(state);
    const f = r.hold('ns/f');
    const g = r.hold('ns/g');
    state.set('ns/f', { kind: 'failed', code: 'SignatureRejected', message: 'no signature' });
    r.changed();
    expect(await f).toMatchObject({ ok: false, error: { code: 'SignatureRejected' } });
    r.close();
    expect(await g).toMatchObject({ ok: false, error: { code: 'ShuttingDown' } });
  });
});
