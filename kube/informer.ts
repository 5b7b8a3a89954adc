import type { Logger } from 'pino';
import { Backoff } from '../api/backoff.ts';
import type { BackoffOptions } from '../api/backoff.ts';
import { sleep } from './clock.ts';
import type { Clock } from './clock.ts';
import { KubeApiError } from './errors.ts';
import type { KubeClient, WatchEvent } from './kube-client.ts';
import { apiVersionOf, resourcePath } from './resource.ts';
import type { KubeObject, ResourceType } from './resource.ts';
import { Store } from './store.ts';
import type { StoreChange } from './store.ts';

export interface InformerOptions {
  readonly type: ResourceType;
  /** Watch one namespace; all namespaces when omitted. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** e.g. `metadata.name=x` to watch one object. */
  readonly fieldSelector?: string;
  /** Restart delays after a failed list or watch. */
  readonly backoff?: BackoffOptions;
  /** Server-side watch timeout: the server ends each watch after this and we resume from the last resourceVersion. */
  readonly watchTimeoutSeconds?: number;
}

export interface InformerDeps {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly log: Logger;
}

/** How the informer recovers from a failed list or watch. */
export type Recovery = 'Relist' | 'RetryAfterBackoff';

/**
 * 410 Gone means our resourceVersion fell out of the server's history: only a fresh list can tell
 * us the current state. Anything else may be passing (network, server restart): wait, then resume.
 */
export function recoveryFor(err: unknown): Recovery {
  return err instanceof KubeApiError && err.code === 'Gone' ? 'Relist' : 'RetryAfterBackoff';
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 30_000 };

interface StatusObject {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

/**
 * List + watch of one resource type into a Store, supervised: a failed watch resumes from the last
 * seen resourceVersion after a backoff, a 410 Gone relists at once (the relist diff reports deletes
 * missed meanwhile), and `synced` turns true after the first complete list.
 */
export class Informer<T extends KubeObject> {
  readonly store = new Store<T>();
  readonly type: ResourceType;
  private readonly opts: InformerOptions;
  private readonly deps: InformerDeps;
  private readonly handlers: ((change: StoreChange<T>) => void)[] = [];
  private readonly syncWaiters: (() => void)[] = [];
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private isSynced = false;
  /** How many times the list ran (1 + relists); exposed for tests and logs. */
  listCount = 0;
  /**
   * Blind spells: from a failed list or watch (after the first sync) until the next success, what
   * the cache holds may be stale. Controllers judging time-based state (a heartbeat Lease expiring)
   * use them to tell "silent" from "we could not hear it". `blind` is true during one;
   * blindSinceMs is the start of the current or last one (undefined: none yet), recoveredAtMs its end.
   */
  blind = false;
  blindSinceMs: number | undefined;
  recoveredAtMs: number | undefined;

  constructor(deps: InformerDeps, opts: InformerOptions) {
    this.deps = deps;
    this.opts = opts;
    this.type = opts.type;
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** Calls `handler` for every change after it is registered (not for what the store already holds). */
  onChange(handler: (change: StoreChange<T>) => void): void {
    this.handlers.push(handler);
  }

  /** Resolves after the first complete list. */
  waitForSync(): Promise<void> {
    if (this.isSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.opts.backoff ?? DEFAULT_BACKOFF);
    let resourceVersion: string | undefined;
    while (!signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await this.list(signal);
          this.heard();
          backoff.reset();
        }
        let progressed = false;
        resourceVersion = await this.watch(resourceVersion, signal, () => {
          progressed = true;
          this.heard();
          backoff.reset();
        });
        // A watch the server closes at once, event after event, must not become a hot loop.
        if (!progressed) await sleep(this.deps.clock, backoff.next(), signal);
      } catch (err) {
        if (signal.aborted) break;
        if (this.isSynced && !this.blind) {
          this.blind = true;
          this.blindSinceMs = this.deps.clock.now();
          this.recoveredAtMs = undefined;
        }
        // Relist at once after a watch expired; a list that itself fails with 410 (an expired
        // continue token) goes through the backoff like any other failure, so it cannot spin.
        if (recoveryFor(err) === 'Relist' && resourceVersion !== undefined) {
          this.deps.log.info({ resource: this.type.plural, err: (err as Error).message }, 'Watch expired, relisting');
          resourceVersion = undefined;
          continue;
        }
        const delay = backoff.next();
        // A 404 on the collection means the kind is not served at all: say so, it is the usual first-run mistake.
        const hint = err instanceof KubeApiError && err.code === 'NotFound' ? `${apiVersionOf(this.type)} ${this.type.plural} is not served: install its CRD` : undefined;
        this.deps.log.warn({ resource: this.type.plural, err: (err as Error).message, retryInMs: delay, ...(hint ? { hint } : {}) }, 'Informer failed, restarting');
        await sleep(this.deps.clock, delay, signal);
      }
    }
  }

  /** A list or a watch event came through: a blind spell, if any, ends. */
  private heard(): void {
    if (!this.blind) return;
    this.blind = false;
    this.recoveredAtMs = this.deps.clock.now();
  }

  private collectionPath(): string {
    return resourcePath(this.type, { namespace: this.opts.namespace });
  }

  /** Lists page by page and replaces the store; returns the list's resourceVersion to watch from. */
  private async list(signal: AbortSignal): Promise<string> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.deps.client.request<{ metadata: { resourceVersion: string; continue?: string }; items: T[] }>({
        method: 'GET',
        path: this.collectionPath(),
        query: { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, limit: 500, continue: continueToken },
        signal,
      });
      // List items come without apiVersion/kind; fill them so cached objects look like watched ones.
      for (const item of page.items) items.push({ ...item, apiVersion: apiVersionOf(this.type), kind: this.type.kind });
      continueToken = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (continueToken !== undefined);
    this.listCount += 1;
    this.emit(this.store.replace(items));
    if (!this.isSynced) {
      this.isSynced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
    // Every page of a paginated list carries the same snapshot version.
    return resourceVersion ?? '';
  }

  /** Watches from `resourceVersion` until the server ends the stream; returns the last version seen. */
  private async watch(resourceVersion: string, signal: AbortSignal, onProgress: () => void): Promise<string> {
    let rv = resourceVersion;
    const query = {
      resourceVersion: rv,
      allowWatchBookmarks: true,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
    };
    for await (const event of this.deps.client.watch<T | StatusObject>(this.collectionPath(), query, signal)) {
      rv = this.handle(event, rv);
      onProgress();
    }
    return rv;
  }

  private handle(event: WatchEvent<T | StatusObject>, rv: string): string {
    if (event.type === 'ERROR') {
      const status = event.object as StatusObject;
      const code = status.code === 410 ? 'Gone' : 'ServerError';
      throw new KubeApiError(code, status.code ?? 0, `watch ${this.type.plural}: ${status.reason ?? ''} ${status.message ?? ''}`.trim());
    }
    const obj = event.object as T;
    const next = obj.metadata.resourceVersion ?? rv;
    if (event.type === 'BOOKMARK') return next;
    const change = event.type === 'DELETED' ? this.store.delete(obj) : this.store.apply(obj);
    if (change) this.emit([change]);
    return next;
  }

  private emit(changes: StoreChange<T>[]): void {
    for (const change of changes) for (const handler of this.handlers) handler(change);
  }
}
