/**
 * Why a listener thread sent a request the slow way (relayed to the main thread) instead of
 * running it inline: a closed set, so `flotilla_http_handoffs_total` has one series per reason
 * whatever the number of functions.
 */
export const HANDOFF_REASONS = [
  /** No route of this listener's table matches (the main thread answers 404, or a route just added). */
  'noRoute',
  /** The route has retries, a circuit breaker, a rate limit or auth: only the main thread applies those. */
  'routePolicy',
  /** A backend is not runnable inline here: dormant, remote, still loading, or a module that may block (runsInline). */
  'notInline',
  /** The function was marked slow (its inline runs passed the budget): it goes to the pool for a while. */
  'slow',
  /** The module is not linked in this listener yet (its link has started). */
  'notLinked',
  /** The function's concurrency is taken (pool tasks and inline runs together). */
  'concurrency',
  /** A chunked body, or a declared one over the request limit. */
  'body',
  /** An inline run stopped at INLINE_BUDGET_MS and handed to the pool with its body. */
  'budget',
] as const;

/** One of HANDOFF_REASONS. */
export type HandoffReason = (typeof HANDOFF_REASONS)[number];
