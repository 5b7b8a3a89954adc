/**
 * The one exponential backoff: every retry loop of Flotilla (controller error policy, informer,
 * registry transport, route retries, trigger retries, module loads, pre-pulls) takes its waits
 * from here, so "doubling up to a cap, with jitter" means the same thing everywhere.
 *
 * Jitter, per site:
 * - `equal` (the default): the wait is in [ceiling/2, ceiling]. The retry loops that run on every
 *   node or for every key at once (a registry or API server outage fails them all in the same
 *   second) must not come back in lockstep, yet must not retry at once either: half the step is
 *   always waited, so "1 s, 2 s, 4 s ..." stays true within a factor of two, which is what the
 *   docs and the failure counts the operator reads rely on.
 * - `full`: the wait is in [0, ceiling). For retries inside one request (registry transport, route
 *   retries) where the caller waits: the least total wait for the same spread (Envoy's and the
 *   AWS architecture blog's choice).
 * - `none`: exactly the ceiling, for a schedule the user wrote down (FunctionTrigger
 *   `retry.backoff`) and for polling a local process, where nobody else competes.
 */

/** How a wait is drawn below its exponential ceiling (see the module comment for which and why). */
export type Jitter = 'equal' | 'full' | 'none';

/** Exponential backoff: the first wait, the cap, the growth per failure and the jitter. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** @default 2 */
  readonly factor?: number;
  /** @default 'equal' */
  readonly jitter?: Jitter;
}

/**
 * The wait before retry number `failures` (1 = after the first failure), in whole ms: the ceiling
 * initial × factor^(failures-1), capped at max, then jittered. `random` in [0,1) is injectable so
 * tests need not guess.
 */
export function backoffDelay(failures: number, opts: BackoffOptions, random: () => number = Math.random): number {
  if (failures < 1) return 0;
  // Cap the exponent before the power so a key failing for days does not overflow to Infinity.
  const ceiling = Math.min(opts.maxMs, opts.initialMs * (opts.factor ?? 2) ** Math.min(failures - 1, 64));
  switch (opts.jitter ?? 'equal') {
    case 'none': return ceiling;
    case 'full': return Math.floor(random() * ceiling);
    case 'equal': return Math.floor(ceiling / 2 + random() * (ceiling / 2));
  }
}

/** A backoff that counts its own failures: one per restart loop (an informer). */
export class Backoff {
  private failures = 0;
  private readonly opts: BackoffOptions;
  private readonly random: () => number;

  constructor(opts: BackoffOptions, random: () => number = Math.random) {
    this.opts = opts;
    this.random = random;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    this.failures += 1;
    return backoffDelay(this.failures, this.opts, this.random);
  }

  /** Forgets past failures after a success. */
  reset(): void {
    this.failures = 0;
  }
}
