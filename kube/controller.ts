import type { Logger } from 'pino';
import { requeueAfter } from './action.ts';
import type { Action } from './action.ts';
import { backoffDelay } from '../api/backoff.ts';
import type { BackoffOptions } from '../api/backoff.ts';
import type { Clock } from './clock.ts';
import type { Informer } from './informer.ts';
import type { ControllerMetrics } from './metrics.ts';
import { objectKey } from './resource.ts';
import type { KubeObject } from './resource.ts';
import { WorkQueue } from './work-queue.ts';

/** Decides when to retry after reconcile threw; `failures` counts consecutive failures of this key (1 = first). */
export type ErrorPolicy<T, C> = (err: unknown, obj: T, ctx: C, failures: number) => Action;

/**
 * A secondary watch: changes to its objects enqueue the primary keys `map` returns. `old` is the
 * previous version on an update (undefined for adds and deletes), for mappers that skip noise.
 */
export interface Watch {
  readonly informer: Informer<KubeObject>;
  map(obj: KubeObject, old?: KubeObject): string[];
}

/** A Watch on `informer`; `map` sees the informer's own type. */
export function watch<S extends KubeObject>(informer: Informer<S>, map: (obj: S, old?: S) => string[]): Watch {
  // The informer only ever hands `map` its own objects, so widening to KubeObject here is sound.
  return { informer: informer as unknown as Informer<KubeObject>, map: map };
}

export interface ControllerSpec<T extends KubeObject, C> {
  /** Names the controller in logs and metrics (e.g. "wasmfunction"). */
  readonly name: string;
  /** The kind this controller reconciles; its store is what reconcile reads. */
  readonly informer: Informer<T>;
  readonly watches?: readonly Watch[];
  /** Level-based: computes desired state from what is observed now and applies it; never assumes what event led here. */
  reconcile(obj: T, ctx: C): Promise<Action>;
  readonly errorPolicy: ErrorPolicy<T, C>;
  /** Reconciles running at once across different keys. @default 2 */
  readonly concurrency?: number;
}

export interface ControllerDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: ControllerMetrics;
}

/**
 * Runs a reconciler: informer events only enqueue keys; workers take keys from the WorkQueue (so a
 * key is never reconciled twice at once), reconcile the cached object, and schedule what the
 * returned Action (or the error policy) asks for.
 */
export class Controller<T extends KubeObject, C> {
  readonly name: string;
  private readonly spec: ControllerSpec<T, C>;
  private readonly ctx: C;
  private readonly deps: ControllerDeps;
  private queue: WorkQueue;
  private readonly failures = new Map<string, number>();
  private workers: Promise<void>[] = [];
  private running = false;

  constructor(spec: ControllerSpec<T, C>, ctx: C, deps: ControllerDeps) {
    this.spec = spec;
    this.name = spec.name;
    this.ctx = ctx;
    this.deps = deps;
    this.queue = new WorkQueue(deps.clock);
    spec.informer.onChange((change) => this.enqueue(objectKey(change.object)));
    for (const watch of spec.watches ?? []) {
      watch.informer.onChange((change) => {
        let keys: string[];
        try {
          keys = watch.map(change.object, change.type === 'Applied' ? change.old : undefined);
        } catch (err) {
          // A mapper bug must not break the informer it runs in (that would stall every controller on it).
          this.deps.log.error({ controller: this.name, object: objectKey(change.object), err: (err as Error).message }, 'Watch mapper threw');
          return;
        }
        for (const key of keys) this.enqueue(key);
      });
    }
  }

  /** Enqueues `key` now (the way other controllers or tests poke this one). */
  enqueue(key: string): void {
    if (!this.running) return;
    this.queue.add(key);
    this.deps.metrics.queueDepth.set({ controller: this.name }, this.queue.depth);
  }

  /** Starts the workers and enqueues every cached object once, so state that changed while we were not running converges. */
  start(): void {
    if (this.running) return;
    this.running = true;
    // A fresh queue per run: after losing and regaining leadership the old one is shut down.
    this.queue = new WorkQueue(this.deps.clock);
    for (const key of this.spec.informer.store.keys()) this.enqueue(key);
    const concurrency = this.spec.concurrency ?? 2;
    this.workers = Array.from({ length: concurrency }, () => this.work());
  }

  /** Stops taking keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async work(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      this.deps.metrics.queueDepth.set({ controller: this.name }, this.queue.depth);
      const action = await this.reconcileKey(key);
      this.queue.done(key);
      if (action?.type === 'RequeueAfter') this.queue.addAfter(key, action.ms);
    }
  }

  private async reconcileKey(key: string): Promise<Action | undefined> {
    const obj = this.spec.informer.store.get(key);
    // Gone from the cache: nothing to converge. Cleanup of external state would need a finalizer
    // (run while the object still exists with a deletionTimestamp); no kind of ours has any.
    if (!obj) {
      this.failures.delete(key);
      return undefined;
    }
    const labels = { controller: this.name };
    const started = this.deps.clock.now();
    try {
      const action = await this.spec.reconcile(obj, this.ctx);
      this.failures.delete(key);
      this.deps.metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      return action;
    } catch (err) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const reason = errorReason(err);
      this.deps.metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      this.deps.metrics.reconcileErrors.inc({ ...labels, reason });
      let action: Action;
      try {
        action = this.spec.errorPolicy(err, obj, this.ctx, failures);
      } catch (policyErr) {
        // A broken error policy must not kill the worker or drop the key: retry on the default backoff.
        this.deps.log.error({ controller: this.name, key, err: (policyErr as Error).message }, 'Error policy threw');
        action = requeueAfter(backoffDelay(failures, DEFAULT_ERROR_BACKOFF));
      }
      this.deps.log.warn({ controller: this.name, key, reason, failures, err: (err as Error).message, action }, 'Reconcile failed');
      return action;
    } finally {
      this.deps.metrics.reconcileDuration.observe(labels, (this.deps.clock.now() - started) / 1000);
    }
  }
}

/** The metric label for an error: its FlotillaError code, else "Unknown". */
function errorReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Za-z]*$/.test(code) ? code : 'Unknown';
}

/** Per-key retry after a failed reconcile: 5 ms doubling up to 5 min, equal jitter (keys failing together spread out). */
const DEFAULT_ERROR_BACKOFF: BackoffOptions = { initialMs: 5, maxMs: 300_000 };

/** The usual error policy: retry each key with its own exponential backoff (5 ms, 10 ms, ... up to `maxMs`, jittered). */
export function backoffErrorPolicy<T, C>(opts: BackoffOptions = DEFAULT_ERROR_BACKOFF): ErrorPolicy<T, C> {
  return (_err, _obj, _ctx, failures) => requeueAfter(backoffDelay(failures, opts));
}
