import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, type BackoffOptions } from './backoff.ts';

const opts: BackoffOptions = { initialMs: 100, maxMs: 1000 };
const highest = () => 0.999999;
const lowest = () => 0;

describe('backoffDelay', () => {
  it.each([
    { failures: 0, jitter: 'none', random: highest, expected: 0 },
    { failures: 1, jitter: 'none', random: highest, expected: 100 },
    { failures: 2, jitter: 'none', random: highest, expected: 200 },
    { failures: 4, jitter: 'none', random: highest, expected: 800 },
    { failures: 5, jitter: 'none', random: highest, expected: 1000 },
    { failures: 10_000, jitter: 'none', random: highest, expected: 1000 },
    { failures: 1, jitter: 'full', random: lowest, expected: 0 },
    { failures: 1, jitter: 'full', random: highest, expected: 99 },
    { failures: 3, jitter: 'full', random: () => 0.5, expected: 200 },
    { failures: 10_000, jitter: 'full', random: highest, expected: 999 },
    { failures: 1, jitter: 'equal', random: lowest, expected: 50 },
    { failures: 1, jitter: 'equal', random: highest, expected: 99 },
    { failures: 3, jitter: 'equal', random: () => 0.5, expected: 300 },
    { failures: 10_000, jitter: 'equal', random: lowest, expected: 500 },
  ] as const)('failure $failures with $jitter jitter waits $expected ms', ({ failures, jitter, random, expected }) => {
    expect(backoffDelay(failures, { ...opts, jitter }, random)).toBe(expected);
  });

  it('jitters by half (equal) unless told otherwise', () => {
    expect(backoffDelay(2, opts, lowest)).toBe(100);
    expect(backoffDelay(2, opts, highest)).toBe(199);
  });

  it('honours a custom factor', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 10_000, factor: 3, jitter: 'none' }))).toEqual([100, 300, 900]);
  });

  it('spreads waits over the whole jitter range with the real random source', () => {
    const waits = Array.from({ length: 200 }, () => backoffDelay(4, { ...opts, jitter: 'equal' }));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(400);
    expect(Math.max(...waits)).toBeLessThan(800);
    expect(new Set(waits).size).toBeGreaterThan(50);
  });
});

describe('Backoff', () => {
  it('grows per failure and starts over after reset', () => {
    const b = new Backoff({ initialMs: 200, maxMs: 1000, jitter: 'none' });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(200);
  });

  it('draws its jitter from the injected source', () => {
    const b = new Backoff({ initialMs: 200, maxMs: 1000 }, lowest);
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
  });
});
