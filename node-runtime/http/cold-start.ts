/**
 * Scale from zero on the node: a request for a dormant function (scaled to zero, so not run here)
 * waits in the WaitingRoom while the node reports the demand to the operator (api/node-contract.ts),
 * the operator places the function here and the node loads it; then the request goes on to the
 * invoker. Bounded in time (a load that never comes is a 504 that says where it got stuck) and in
 * number (past the limit a 503 with Retry-After), so a burst at a cold function cannot pile up
 * memory on an edge node. A load that fails answers the waiting requests at once with its reason.
 */
import { HTTP_STATUS, NodeRuntimeError } from '../errors.ts';
import type { NodeRuntimeCode } from '../errors.ts';

/** Where a function that requests wait for stands on this node. */
export type Readiness =
  | { readonly kind: 'dormant' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'loaded' }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  | { readonly kind: 'gone' };

/** How a held request ends: go on to the invoker, or answer with the error. */
export type Held = { readonly ok: true; readonly waitedMs: number } | { readonly ok: false; readonly error: NodeRuntimeError };

/**
 * How a request held for a dormant function ended, for metrics: served (went on to the invoker),
 * timeout, failed (the load failed, or the function is no longer routed here), rejected (the limit
 * was reached: never held), abandoned (the client went away), shutdown (the node stopped).
 */
export type HeldOutcome = 'served' | 'timeout' | 'failed' | 'rejected' | 'abandoned' | 'shutdown';

/** A failed load's code as the caller sees it: the node's own when it has one (MemoryLimitBelowInitial...), else a pull failure. */
function callerCode(code: string): NodeRuntimeCode {
  return Object.hasOwn(HTTP_STATUS, code) ? (code as NodeRuntimeCode) : 'ModulePullFailed';
}

/** What a request held for `key` becomes at readiness `r`: undefined while it must keep waiting. Pure. */
export function settle(key: string, node: string, r: Readiness, waitedMs: number): Held | undefined {
  switch (r.kind) {
    case 'loaded':
      return { ok: true, waitedMs };
    case 'failed':
      return { ok: false, error: new NodeRuntimeError(callerCode(r.code), `cold start of ${key} on node ${node} failed: ${r.message}`) };
    case 'gone':
      return { ok: false, error: new NodeRuntimeError('FunctionNotFound', `cold start of ${key} on node ${node}: the function is no longer routed here (deleted, or its module no longer verifies); check the WasmFunction's Ready condition`) };
    default:
      return undefined;
  }
}

/** The 504 of a request that waited `timeoutMs` for `key`, saying which step did not happen. Pure. */
export function timedOut(key: string, node: string, r: Readiness, timeoutMs: number): NodeRuntimeError {
  const step =
    r.kind === 'dormant'
      ? 'the operator has not placed it on this node (is the operator running? see the WasmFunction\'s Ready condition and events)'
      : 'it was placed here but its module is still loading';
  return new NodeRuntimeError('Timeout', `cold start of ${key} on node ${node}: not ready within ${timeoutMs / 1000} s: ${step}; the function is scaled to zero, retry once it runs`);
}

export interface WaitingRoomOptions {
  /** This node's name, for messages. */
  readonly node: string;
  /** Where function `key` stands now. */
  readonly readiness: (key: string) => Readiness;
  /** Called whenever the number of requests held for some function changes (the node reports it at once). */
  readonly onChange: () => void;
  /** Longest a request is held. */
  readonly timeoutMs: number;
  /** Requests held at once, across functions, before new ones get 503. */
  readonly limit: number;
  /** Called as each held request ends (rejected ones with 0 ms: they were never held). For metrics; must not throw. */
  readonly ended?: (key: string, outcome: HeldOutcome, waitedMs: number) => void;
}

/** The outcome of a request ended by settle(): served when it goes on, else failed (load failed, or gone). */
const settled = (held: Held): HeldOutcome => (held.ok ? 'served' : 'failed');

interface Waiter {
  readonly since: number;
  readonly resolve: (held: Held) => void;
  readonly timer: NodeJS.Timeout;
}

/** Requests held for dormant functions, per function key. */
export class WaitingRoom {
  private readonly opts: WaitingRoomOptions;
  private readonly held = new Map<string, Set<Waiter>>();
  private count = 0;

  constructor(opts: WaitingRoomOptions) {
    this.opts = opts;
  }

  /**
   * Holds a request for `key` until the function is loaded here, fails, goes away or the wait times
   * out. `abandoned` (the client went away) gives the place up at once: it no longer counts as demand.
   */
  hold(key: string, abandoned?: AbortSignal): Promise<Held> {
    const { node, limit, timeoutMs } = this.opts;
    const now = settle(key, node, this.opts.readiness(key), 0);
    if (now) return Promise.resolve(now);
    if (this.count >= limit) {
      this.opts.ended?.(key, 'rejected', 0);
      return Promise.resolve({ ok: false, error: new NodeRuntimeError('Overloaded', `cold start of ${key} on node ${node}: ${limit} requests already wait for functions to start here; retry shortly`) });
    }
    return new Promise<Held>((resolve) => {
      const waiters = this.held.get(key) ?? new Set<Waiter>();
      this.held.set(key, waiters);
      const waiter: Waiter = {
        since: performance.now(),
        resolve,
        timer: setTimeout(() => this.release(key, waiter, { ok: false, error: timedOut(key, node, this.opts.readiness(key), timeoutMs) }, 'timeout'), timeoutMs),
      };
      waiters.add(waiter);
      this.count++;
      abandoned?.addEventListener('abort', () => this.release(key, waiter, { ok: false, error: new NodeRuntimeError('ShuttingDown', `cold start of ${key} on node ${node}: the client went away`) }, 'abandoned'), { once: true });
      this.opts.onChange();
    });
  }

  /** Re-reads every held function's readiness: call on each change of the node's state or load results. */
  changed(): void {
    for (const [key, waiters] of this.held) {
      const r = this.opts.readiness(key);
      for (const w of waiters) {
        const outcome = settle(key, this.opts.node, r, performance.now() - w.since);
        if (outcome) this.release(key, w, outcome, settled(outcome));
      }
    }
  }

  /** Requests held per function key (what the node reports as Wanted). */
  waiting(): ReadonlyMap<string, number> {
    return new Map([...this.held].map(([key, waiters]) => [key, waiters.size]));
  }

  /** Answers every held request: the node is stopping. */
  close(): void {
    for (const [key, waiters] of this.held) {
      for (const w of waiters) this.release(key, w, { ok: false, error: new NodeRuntimeError('ShuttingDown', `cold start of ${key} on node ${this.opts.node}: the node is shutting down; retry on another node`) }, 'shutdown');
    }
  }

  private release(key: string, w: Waiter, outcome: Held, how: HeldOutcome): void {
    const waiters = this.held.get(key);
    if (!waiters?.delete(w)) return;
    clearTimeout(w.timer);
    this.count--;
    if (waiters.size === 0) this.held.delete(key);
    this.opts.ended?.(key, how, performance.now() - w.since);
    w.resolve(outcome);
    this.opts.onChange();
  }
}
