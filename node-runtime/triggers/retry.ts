/**
 * What to do with an event after an attempt: the retry policy of a FunctionTrigger as a pure
 * decision, shared by the NATS and MQTT sources so both behave the same.
 */
import { backoffDelay } from '../../api/backoff.ts';
import type { FunctionTriggerSpec } from '../../api/index.ts';

export type RetryPolicy = FunctionTriggerSpec['retry'];

export type Decision =
  | { readonly action: 'ack' }
  /** Try again after `delayMs`. */
  | { readonly action: 'retry'; readonly delayMs: number }
  /** Last attempt failed: publish to the dead letter (when configured), then drop. */
  | { readonly action: 'deadLetter' };

/**
 * Delay before attempt `attempt + 1`: initial x multiplier^(attempt-1), capped at maxMs, exactly as
 * the trigger's `retry.backoff` says and docs/events.md promises (no jitter: the user wrote this
 * schedule down).
 */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const { initialMs, maxMs, multiplier } = policy.backoff;
  return backoffDelay(Math.max(1, attempt), { initialMs, maxMs, factor: multiplier, jitter: 'none' });
}

/** The decision after attempt `attempt` (1-based) succeeded or failed. */
export function decide(policy: RetryPolicy, attempt: number, ok: boolean): Decision {
  if (ok) return { action: 'ack' };
  if (attempt >= policy.maxAttempts) return { action: 'deadLetter' };
  return { action: 'retry', delayMs: backoffMs(policy, attempt) };
}
