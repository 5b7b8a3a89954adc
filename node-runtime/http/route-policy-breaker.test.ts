import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './route-policy-breaker.ts';

/** Sends one request at `now` and records its outcome; false when the breaker refused it. */
function send(b: CircuitBreaker, now: number, failed: boolean): boolean {
  const t = b.begin(now);
  if (t === undefined) return false;
  b.record(t, failed, now);
  return true;
}

describe('CircuitBreaker', () => {
  it('opens after consecutiveErrors failures in a row and refuses for openMs', () => {
    const b = new CircuitBreaker({ consecutiveErrors: 3, openMs: 1000 });
    expect(send(b, 0, true)).toBe(true);
    expect(send(b, 1, true)).toBe(true);
    expect(b.state()).toEqual({ kind: 'closed', failures: 2 });
    const t = b.begin(2)!;
    expect(b.record(t, true, 2)).toBe(true);
    expect(b.state()).toEqual({ kind: 'open', untilMs: 1002 });
    expect(b.begin(500)).toBeUndefined();
    expect(b.retryAfterMs(500)).toBe(502);
    expect(b.begin(1001)).toBeUndefined();
  });

  it('a success resets the count', () => {
    const b = new CircuitBreaker({ consecutiveErrors: 2, openMs: 1000 });
    send(b, 0, true);
    send(b, 1, false);
    send(b, 2, true);
    expect(b.state()).toEqual({ kind: 'closed', failures: 1 });
  });

  it('half-open: one trial at a time; its success closes the circuit', () => {
    const b = new CircuitBreaker({ consecutiveErrors: 1, openMs: 100 });
    send(b, 0, true);
    const trial = b.begin(100);
    expect(trial).toBeDefined();
    expect(b.state()).toEqual({ kind: 'half-open' });
    expect(b.begin(101)).toBeUndefined();
    expect(b.retryAfterMs(101)).toBe(1000);
    expect(b.record(trial!, false, 150)).toBe(false);
    expect(b.state()).toEqual({ kind: 'closed', failures: 0 });
    expect(send(b, 151, false)).toBe(true);
  });

  it('half-open: a failed trial opens the circuit again for openMs', () => {
    const b = new CircuitBreaker({ consecutiveErrors: 5, openMs: 100 });
    for (let i = 0; i < 5; i++) send(b, 0, true);
    const trial = b.begin(100)!;
    expect(b.record(trial, true, 120)).toBe(true);
    expect(b.state()).toEqual({ kind: 'open', untilMs: 220 });
    expect(b.begin(219)).toBeUndefined();
    expect(b.begin(220)).toBeDefined();
  });

  it('outcomes of requests admitted before the circuit changed state do not count', () => {
    const b = new CircuitBreaker({ consecutiveErrors: 1, openMs: 100 });
    const slow = b.begin(0)!;
    send(b, 1, true);
    // slow answers fine while open: the circuit stays open for its time.
    b.record(slow, false, 2);
    expect(b.state()).toEqual({ kind: 'open', untilMs: 101 });
    const trial = b.begin(101)!;
    // and it cannot decide the trial either.
    b.record(slow, true, 102);
    expect(b.state()).toEqual({ kind: 'half-open' });
    b.record(trial, false, 103);
    expect(b.state()).toEqual({ kind: 'closed', failures: 0 });
  });

  it('requests admitted while closed all count, whatever finished first', () => {
    const b = new CircuitBreaker({ consecutiveErrors: 2, openMs: 100 });
    const a = b.begin(0)!;
    const c = b.begin(0)!;
    send(b, 1, false);
    b.record(a, true, 2);
    b.record(c, true, 3);
    expect(b.state()).toEqual({ kind: 'open', untilMs: 103 });
  });

  it('a released trial (caller gone) lets the next request be the trial', () => {
    const b = new CircuitBreaker({ consecutiveErrors: 1, openMs: 100 });
    send(b, 0, true);
    const trial = b.begin(100)!;
    b.release(trial, 110);
    expect(b.begin(111)).toBeDefined();
    expect(b.state()).toEqual({ kind: 'half-open' });
  });
});
