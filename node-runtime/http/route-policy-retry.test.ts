import { describe, expect, it } from 'vitest';
import { attemptDeadline, failureClass, isVerdict, nextAttempt, type AttemptResult, type RetrySpec } from './route-policy-retry.ts';

describe('failureClass', () => {
  it.each<[AttemptResult, string | undefined]>([
    [{ ok: true, status: 200 }, undefined],
    [{ ok: true, status: 404 }, undefined],
    [{ ok: true, status: 500 }, '5xx'],
    [{ ok: true, status: 503 }, '5xx'],
    [{ ok: false, code: 'Timeout' }, 'timeout'],
    [{ ok: false, code: 'Overloaded' }, 'connect-failure'],
    [{ ok: false, code: 'ModulePullFailed' }, 'connect-failure'],
    [{ ok: false, code: 'CacheCorrupted' }, 'connect-failure'],
    [{ ok: false, code: 'Trap' }, '5xx'],
    [{ ok: false, code: 'WorkerCrashed' }, '5xx'],
    [{ ok: false, code: 'InvalidResponse' }, '5xx'],
    [{ ok: false, code: 'SignatureRejected' }, '5xx'],
    [{ ok: false, code: 'ShuttingDown' }, undefined],
    [{ ok: false, code: 'FunctionNotFound' }, undefined],
    [{ ok: false, code: 'RequestTooLarge' }, undefined],
  ])('%j -> %s', (r, want) => {
    expect(failureClass(r)).toBe(want);
  });
});

describe('isVerdict', () => {
  it.each<[AttemptResult, boolean]>([
    [{ ok: true, status: 200 }, true],
    [{ ok: true, status: 404 }, true],
    [{ ok: true, status: 500 }, true],
    [{ ok: false, code: 'Trap' }, true],
    [{ ok: false, code: 'Timeout' }, true],
    [{ ok: false, code: 'ShuttingDown' }, false],
    [{ ok: false, code: 'FunctionNotFound' }, false],
  ])('%j -> %s', (r, want) => {
    expect(isVerdict(r)).toBe(want);
  });
});

describe('the route backoff', () => {
  it('is full jitter over 25 ms doubling, capped at 250 ms', () => {
    const many: RetrySpec = { attempts: 20, retryOn: ['5xx'] };
    expect([1, 2, 3, 4, 5, 10].map((n) => nextAttempt(many, n, '5xx', 0, 10_000, 0.999999))).toEqual([24, 49, 99, 199, 249, 249]);
    expect(nextAttempt(many, 3, '5xx', 0, 10_000, 0)).toBe(0);
    expect(nextAttempt(many, 3, '5xx', 0, 10_000, 0.5)).toBe(50);
  });
});

describe('nextAttempt', () => {
  const spec: RetrySpec = { attempts: 2, retryOn: ['5xx', 'connect-failure'] };
  it.each([
    { name: 'a retryable failure is retried', attempt: 1, failure: '5xx', now: 0, want: 12 },
    { name: 'the last extra attempt is allowed', attempt: 2, failure: 'connect-failure', now: 0, want: 25 },
    { name: 'no more than attempts extra ones', attempt: 3, failure: '5xx', now: 0, want: undefined },
    { name: 'a success is never retried', attempt: 1, failure: undefined, now: 0, want: undefined },
    { name: 'a class retryOn does not name is not retried', attempt: 1, failure: 'timeout', now: 0, want: undefined },
    { name: 'no retry that would start at the deadline', attempt: 1, failure: '5xx', now: 988, want: undefined },
    { name: 'a retry that starts before the deadline', attempt: 1, failure: '5xx', now: 987, want: 12 },
  ] as const)('$name', ({ attempt, failure, now, want }) => {
    expect(nextAttempt(spec, attempt, failure, now, 1000, 0.5)).toBe(want);
  });

  it('attempts 0 never retries', () => {
    expect(nextAttempt({ attempts: 0, retryOn: ['5xx'] }, 1, '5xx', 0, 1000, 0)).toBeUndefined();
  });
});

describe('attemptDeadline', () => {
  it('is the per-try timeout from now, never past the route deadline', () => {
    expect(attemptDeadline({ attempts: 3, perTryTimeoutMs: 300, retryOn: [] }, 1000, 100, 1100)).toBe(400);
    expect(attemptDeadline({ attempts: 3, perTryTimeoutMs: 300, retryOn: [] }, 1000, 900, 1100)).toBe(1100);
    // without perTryTimeoutMs an attempt may use the whole route timeout (what is left of it)
    expect(attemptDeadline({ attempts: 3, retryOn: [] }, 1000, 100, 1100)).toBe(1100);
    expect(attemptDeadline(undefined, 1000, 0, 1000)).toBe(1000);
  });
});
