import { describe, expect, it } from 'vitest';
import { TokenBucket } from './route-policy-rate.ts';

describe('TokenBucket', () => {
  it('admits a full burst at once, then refuses with the time until the next token', () => {
    const b = new TokenBucket({ requestsPerSecond: 2, burst: 3 }, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(b.take(0)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(b.take(200)).toEqual({ ok: false, retryAfterMs: 300 });
    expect(b.take(500)).toEqual({ ok: true });
  });

  it('refills at the sustained rate and never beyond the burst', () => {
    const b = new TokenBucket({ requestsPerSecond: 10, burst: 10 }, 0);
    for (let i = 0; i < 10; i++) b.take(0);
    // 60 s idle fills the bucket to 10, not 600.
    let admitted = 0;
    for (let i = 0; i < 20; i++) if (b.take(60_000).ok) admitted++;
    expect(admitted).toBe(10);
    // then one token per 100 ms.
    expect(b.take(60_050).ok).toBe(false);
    expect(b.take(60_100).ok).toBe(true);
    expect(b.take(60_100).ok).toBe(false);
  });

  it('sustains requestsPerSecond over time', () => {
    const b = new TokenBucket({ requestsPerSecond: 100, burst: 100 }, 0);
    let admitted = 0;
    for (let t = 0; t <= 10_000; t += 1) if (b.take(t).ok) admitted++;
    // the burst plus 100/s for 10 s
    expect(admitted).toBe(1100);
  });

  it('a clock stepping back neither refills nor drains', () => {
    const b = new TokenBucket({ requestsPerSecond: 1, burst: 1 }, 10_000);
    expect(b.take(10_000).ok).toBe(true);
    expect(b.take(5_000).ok).toBe(false);
    expect(b.take(10_999).ok).toBe(false);
    expect(b.take(11_000).ok).toBe(true);
  });
});
