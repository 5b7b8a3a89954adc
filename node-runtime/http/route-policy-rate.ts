/**
 * A route's rate limit (spec.rateLimit): a token bucket holding at most `burst` tokens, refilled
 * at `requestsPerSecond`; each request takes one. Per node: every node has its own bucket, so a
 * route served by N nodes admits up to N times the rate. Pure: the caller passes the clock.
 */

export interface RateLimit {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

/** What `take` decided: admitted, or refused with how long until a token is back. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

export class TokenBucket {
  private readonly limit: RateLimit;
  private tokens: number;
  private updatedMs: number;

  /** Starts full: the first `burst` requests pass at once. */
  constructor(limit: RateLimit, nowMs: number) {
    this.limit = limit;
    this.tokens = limit.burst;
    this.updatedMs = nowMs;
  }

  take(nowMs: number): RateDecision {
    const { requestsPerSecond, burst } = this.limit;
    // A clock that steps back refills nothing (and never drains).
    const elapsed = Math.max(0, nowMs - this.updatedMs);
    this.tokens = Math.min(burst, this.tokens + (elapsed * requestsPerSecond) / 1000);
    this.updatedMs = Math.max(this.updatedMs, nowMs);
    // Refills of a fraction of a token add up with float error (ten 0.1s fall short of 1): allow for it.
    if (this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1);
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) * 1000) / requestsPerSecond) };
  }
}
