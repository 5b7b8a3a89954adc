import { describe, expect, it } from 'vitest';
import { backoffMs, decide, type RetryPolicy } from './retry.ts';

const policy: RetryPolicy = { maxAttempts: 4, backoff: { initialMs: 100, maxMs: 500, multiplier: 3 } };

describe('retry policy', () => {
  it.each([
    [1, 100],
    [2, 300],
    [3, 500],
    [10, 500],
  ])('waits %i -> %i ms (exponential, capped)', (attempt, ms) => {
    expect(backoffMs(policy, attempt)).toBe(ms);
  });

  it('acks a success on any attempt', () => {
    expect(decide(policy, 4, true)).toEqual({ action: 'ack' });
  });

  it('retries a failure before the last attempt, dead-letters it on the last', () => {
    expect(decide(policy, 1, false)).toEqual({ action: 'retry', delayMs: 100 });
    expect(decide(policy, 3, false)).toEqual({ action: 'retry', delayMs: 500 });
    expect(decide(policy, 4, false)).toEqual({ action: 'deadLetter' });
    expect(decide(policy, 5, false)).toEqual({ action: 'deadLetter' });
  });
});
