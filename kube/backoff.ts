/** Exponential backoff bounds: the first delay, the cap, and the growth factor per failure. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** @default 2 */
  readonly factor?: number;
}

/** The delay before retry number `failures` (1 = first failure): initial × factor^(failures-1), capped at max. */
export function backoffDelay(failures: number, opts: BackoffOptions): number {
  if (failures < 1) return 0;
  const factor = opts.factor ?? 2;
  // Cap the exponent before Math.pow so a key failing for days does not overflow to Infinity.
  const exponent = Math.min(failures - 1, 64);
  return Math.min(opts.maxMs, opts.initialMs * Math.pow(factor, exponent));
}

/** A backoff that counts its own failures: one per restart loop (an informer, an elector). */
export class Backoff {
  private failures = 0;
  private readonly opts: BackoffOptions;

  constructor(opts: BackoffOptions) {
    this.opts = opts;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    this.failures += 1;
    return backoffDelay(this.failures, this.opts);
  }

  /** Forgets past failures after a success. */
  reset(): void {
    this.failures = 0;
  }
}
