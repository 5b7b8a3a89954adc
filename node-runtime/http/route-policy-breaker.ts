/**
 * The circuit breaker of one route backend (spec.circuitBreaker), per node. Closed: requests pass
 * and consecutive failures are counted; `consecutiveErrors` of them open it. Open: nothing is sent
 * for `openMs`. Then half-open: exactly one trial request is let through; its success closes the
 * circuit, its failure opens it again for another `openMs`. A success while closed resets the
 * count. Which outcomes are failures is route-policy-retry.ts's `failureClass`. Pure: the caller
 * passes the clock.
 */

export interface CircuitBreakerSpec {
  readonly consecutiveErrors: number;
  readonly openMs: number;
}

export type CircuitState =
  | { readonly kind: 'closed'; readonly failures: number }
  | { readonly kind: 'open'; readonly untilMs: number }
  | { readonly kind: 'half-open' };

/** Proof that `begin` admitted a request: the breaker's epoch at the time. */
export type Ticket = number;

export class CircuitBreaker {
  private readonly spec: CircuitBreakerSpec;
  private current: CircuitState = { kind: 'closed', failures: 0 };
  /**
   * Bumped on every change of kind (closed, open, half-open): an outcome only counts for the state
   * its request was admitted in, so a request sent before the circuit opened cannot close it (or
   * reopen it) from behind, and only the trial decides a half-open circuit.
   */
  private epoch = 0;

  constructor(spec: CircuitBreakerSpec) {
    this.spec = spec;
  }

  state(): CircuitState {
    return this.current;
  }

  /** Whether a request may be sent now, without claiming anything. */
  admits(nowMs: number): boolean {
    const s = this.current;
    return s.kind === 'closed' || (s.kind === 'open' && nowMs >= s.untilMs);
  }

  /**
   * Claims the right to send one request: a ticket, or undefined when the circuit is open, or
   * half-open with its trial in flight. Claiming a circuit whose open time is over makes this
   * request the trial.
   */
  begin(nowMs: number): Ticket | undefined {
    if (!this.admits(nowMs)) return undefined;
    if (this.current.kind === 'open') this.move({ kind: 'half-open' });
    return this.epoch;
  }

  /** Records the outcome of an admitted request. Returns true when it opened the circuit (for the metric and the log). */
  record(ticket: Ticket, failed: boolean, nowMs: number): boolean {
    if (ticket !== this.epoch) return false;
    const s = this.current;
    if (!failed) {
      if (s.kind === 'closed') this.current = { kind: 'closed', failures: 0 };
      else this.move({ kind: 'closed', failures: 0 });
      return false;
    }
    const failures = s.kind === 'closed' ? s.failures + 1 : this.spec.consecutiveErrors;
    if (failures < this.spec.consecutiveErrors) {
      // Counting (and resetting the count) keeps the epoch: every request admitted while closed still counts.
      this.current = { kind: 'closed', failures };
      return false;
    }
    this.move({ kind: 'open', untilMs: nowMs + this.spec.openMs });
    return true;
  }

  /** Gives back a ticket whose request was never answered (caller gone): a trial leaves the circuit ready for the next one. */
  release(ticket: Ticket, nowMs: number): void {
    if (ticket === this.epoch && this.current.kind === 'half-open') this.move({ kind: 'open', untilMs: nowMs });
  }

  /** How long a refused caller should wait: the rest of the open time, or one trial's worth (1 s) while half-open. */
  retryAfterMs(nowMs: number): number {
    const s = this.current;
    return s.kind === 'open' ? Math.max(0, s.untilMs - nowMs) : 1000;
  }

  private move(next: CircuitState): void {
    this.current = next;
    this.epoch++;
  }
}
