/**
 * A route's retries (spec.retries) and what counts as a failure, for retries and the circuit
 * breaker alike. Pure.
 *
 * Failure classes (spec.retries.retryOn):
 * - `timeout`: the attempt ran out of time (Timeout: its per-try deadline, the route's, or the
 *   function's own limit).
 * - `connect-failure`: the request never reached the function: no worker slot (Overloaded), its
 *   module could not be fetched (ModulePullFailed, CacheCorrupted), no node running it could be
 *   reached (ForwardFailed) or the node forwarded to no longer runs it (NotPlacedHere).
 * - `5xx`: any other 5xx answer, from the function itself (a Status: 5xx it wrote) or from the node
 *   on its behalf (Trap, StackOverflow, MemoryLimitExceeded, WorkerCrashed, InvalidResponse, ...).
 * ShuttingDown is no failure of the backend (this node is leaving), and 4xx is the caller's
 * business: neither is retried nor counted by the breaker. Request bodies are buffered, so every
 * attempt replays the same bytes.
 */
import { backoffDelay, type BackoffOptions } from '../../api/backoff.ts';
import type { RETRY_ON } from '../../api/index.ts';
import { HTTP_STATUS, type NodeRuntimeCode } from '../errors.ts';

export type FailureClass = (typeof RETRY_ON)[number];

export interface RetrySpec {
  /** Extra attempts after the first. */
  readonly attempts: number;
  readonly perTryTimeoutMs?: number;
  readonly retryOn: readonly FailureClass[];
}

/** The outcome of one attempt, as far as policies care. */
export type AttemptResult = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly code: NodeRuntimeCode };

const CONNECT_FAILURES: ReadonlySet<NodeRuntimeCode> = new Set(['Overloaded', 'ModulePullFailed', 'CacheCorrupted', 'ForwardFailed', 'NotPlacedHere']);

/** The failure class of an attempt, or undefined when it is no failure of the backend. */
export function failureClass(r: AttemptResult): FailureClass | undefined {
  if (r.ok) return r.status >= 500 ? '5xx' : undefined;
  if (r.code === 'Timeout') return 'timeout';
  if (CONNECT_FAILURES.has(r.code)) return 'connect-failure';
  if (r.code === 'ShuttingDown') return undefined;
  return HTTP_STATUS[r.code] >= 500 ? '5xx' : undefined;
}

/**
 * Whether the attempt says anything about the backend's health (for the breaker): any answer of the
 * function does, and a node failure only when it is one of the classes above (ShuttingDown or a
 * FunctionNotFound is about this node, not the backend).
 */
export function isVerdict(r: AttemptResult): boolean {
  return r.ok || failureClass(r) !== undefined;
}

/**
 * The schema gives no backoff for routes, so this one is fixed (Envoy's default): full jitter over
 * 25 ms doubling per retry, capped at 250 ms.
 */
const ROUTE_BACKOFF: BackoffOptions = { initialMs: 25, maxMs: 250, jitter: 'full' };

/**
 * The delay before the next attempt (ROUTE_BACKOFF, `random` in [0,1) its jitter), or undefined for
 * no further attempt: `attempt` (1-based) was the last allowed, its failure is not one `retryOn`
 * names, or the wait would end at or past the route's deadline (no attempt gets less than nothing).
 */
export function nextAttempt(spec: RetrySpec, attempt: number, failure: FailureClass | undefined, nowMs: number, deadlineMs: number, random: number): number | undefined {
  if (failure === undefined || attempt > spec.attempts || !spec.retryOn.includes(failure)) return undefined;
  const delay = backoffDelay(attempt, ROUTE_BACKOFF, () => random);
  return nowMs + delay < deadlineMs ? delay : undefined;
}

/** The deadline of one attempt: its per-try timeout from now, never past the route's deadline. */
export function attemptDeadline(spec: RetrySpec | undefined, timeoutMs: number, nowMs: number, routeDeadlineMs: number): number {
  return Math.min(nowMs + (spec?.perTryTimeoutMs ?? timeoutMs), routeDeadlineMs);
}
