import { describe, expect, it } from 'vitest';
import { OciError } from '../errors.ts';
import { DEFAULT_TRANSPORT, parseRetryAfter, retryDelay, TransientError, withRetries } from './transport.ts';

const opts = { ...DEFAULT_TRANSPORT, backoffMs: 100, maxBackoffMs: 1000, random: () => 0.999 };

describe('retry policy', () => {
  it.each([
    [1, undefined, 99],
    [2, undefined, 199],
    [5, undefined, 999],
    [9, undefined, 999],
    [1, 5000, 1000],
    [1, 300, 300],
  ])('attempt %i with Retry-After %j waits %i ms', (attempt, retryAfter, expected) => {
    expect(retryDelay(attempt, opts, retryAfter)).toBe(expected);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });

  it('retries transient failures with the computed waits, then gives up with the last error', async () => {
    const waits: number[] = [];
    let calls = 0;
    const run = withRetries({ ...opts, retries: 2, sleep: (ms) => Promise.resolve(void waits.push(ms)) }, () => {
      calls++;
      return Promise.reject(new TransientError('RegistryUnavailable', `expected a response, got 503 (#${calls})`, calls === 1 ? 250 : undefined));
    });
    await expect(run).rejects.toMatchObject({ code: 'RegistryUnavailable', message: 'expected a response, got 503 (#3)' });
    expect(calls).toBe(3);
    expect(waits).toEqual([250, 199]);
  });

  it('does not retry definitive failures', async () => {
    let calls = 0;
    const run = withRetries({ ...opts, sleep: () => Promise.resolve() }, () => {
      calls++;
      return Promise.reject(new OciError('DigestMismatch', 'expected x, got y'));
    });
    await expect(run).rejects.toMatchObject({ code: 'DigestMismatch' });
    expect(calls).toBe(1);
  });

  it('turns fetch connection errors into RegistryUnavailable', async () => {
    const run = withRetries({ ...opts, retries: 0, sleep: () => Promise.resolve() }, () => Promise.reject(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') })));
    await expect(run).rejects.toMatchObject({ code: 'RegistryUnavailable', message: /ECONNREFUSED/ });
  });

  it('stops at once when the caller aborts: a wait in progress is cut, no further attempt, Aborted with the reason', async () => {
    const stop = new AbortController();
    let calls = 0;
    const run = withRetries({ ...opts, retries: 10, signal: stop.signal, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms * 100)) }, () => {
      calls++;
      if (calls === 1) setTimeout(() => stop.abort(new Error('node n1 is shutting down')), 20);
      return Promise.reject(new TransientError('RegistryUnavailable', 'expected a response, got 503'));
    });
    const started = Date.now();
    await expect(run).rejects.toMatchObject({ code: 'Aborted', message: 'abandoned: node n1 is shutting down' });
    expect(calls).toBe(1);
    // The first backoff alone would be ~10 s here.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('an attempt cut by the abort is not retried', async () => {
    const stop = new AbortController();
    let calls = 0;
    const run = withRetries({ ...opts, signal: stop.signal, sleep: () => Promise.resolve() }, () => {
      calls++;
      stop.abort(new Error('stopping'));
      return Promise.reject(new DOMException('aborted', 'AbortError'));
    });
    await expect(run).rejects.toMatchObject({ code: 'Aborted' });
    expect(calls).toBe(1);
  });
});
