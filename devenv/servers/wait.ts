/** Polling for tests that assert on the state of the world: no fixed sleeps, a clear message on timeout. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, for the timeout message ("Application synced"). */
  readonly what: string;
  /** @default 60_000 */
  readonly timeoutMs?: number;
  /** @default 250 */
  readonly intervalMs?: number;
}

/**
 * Calls `probe` until it returns a value other than undefined and returns that value. On timeout
 * throws with `what` and the last thing the probe saw (its last error, or `describe()` of state).
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, opts: WaitOptions & { readonly describe?: () => Promise<string> }): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const state = opts.describe ? await opts.describe().catch((e: unknown) => `(describe failed: ${String(e)})`) : '';
      throw new Error(`timed out after ${(opts.timeoutMs ?? 60_000) / 1000}s waiting for ${opts.what}${last === undefined ? '' : `; last error: ${last instanceof Error ? last.message : JSON.stringify(last)}`}${state ? `\n${state}` : ''}`, { cause: last });
    }
    await sleep(opts.intervalMs ?? 250);
  }
}
