import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it.each([
    { failures: 0, expected: 0 },
    { failures: 1, expected: 5 },
    { failures: 2, expected: 10 },
    { failures: 5, expected: 80 },
    { failures: 20, expected: 1000 },
    { failures: 10_000, expected: 1000 },
  ])('failure $failures waits $expected ms', ({ failures, expected }) => {
    expect(backoffDelay(failures, { initialMs: 5, maxMs: 1000 })).toBe(expected);
  });

  it('honours a custom factor', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 10_000, factor: 3 }))).toEqual([100, 300, 900]);
  });
});

describe('Backoff', () => {
  it('grows per failure and starts over after reset', () => {
    const b = new Backoff({ initialMs: 200, maxMs: 1000 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(200);
  });
});
