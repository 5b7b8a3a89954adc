/**
 * Pre-pull of dormant modules (scale from zero): a function a node holds dormant may be placed on
 * it by its next request, and most of that cold start is the pull. So the node fetches each dormant
 * module into its disk cache in the background: pulled and verified as a load does (the loader's
 * prePull), and compiled when that fits the compiled-module cache without evicting. When its
 * first request comes, the load finds it compiled, or verified on disk and only compiles.
 *
 * Bounded: a few pulls at once; a pre-pull makes room only with modules the node neither runs nor
 * holds dormant (two dormant modules would otherwise push each other out for ever), else it is
 * skipped, logged, and tried again when the assignment changes (a function gone may have made
 * room); its entry is the first to go when a load needs room (DiskCache.admitIfRoom). A failure is
 * logged and tried again with backoff while the function stays dormant. Nothing here throws into
 * the node or holds up a request: a load of the same module joins a pull in progress.
 */
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from '../../api/backoff.ts';
import type { EvictionGuard } from '../cache/disk-cache.ts';
import type { FunctionDef } from '../resolve/desired-state.ts';
import type { PrePullOutcome } from './module-loader.ts';

export interface PrePullContext {
  /** Pulls and verifies a module into the disk cache, refused rather than evicting what the guard keeps (ModuleLoader.prePull). */
  readonly prePull: (fn: FunctionDef, mayEvict: EvictionGuard) => Promise<PrePullOutcome>;
  /** Entries admitting `bytes` would evict now, allowed ones first (DiskCache.evictionsFor): a module refused for room is not pulled again until it fits. */
  readonly evictionsFor: (bytes: number, mayEvict: EvictionGuard) => readonly string[];
  readonly logger: Logger;
  /** Pulls at once. @default 2 */
  readonly concurrency?: number;
  /** Waits between the retries of a failed pre-pull. @default 5 s doubling up to 5 min, equal jitter */
  readonly retry?: BackoffOptions;
  /** Called as each pre-pull ends (metrics); must not throw. */
  readonly ended?: (outcome: PrePullResult) => void;
}

/** How one pre-pull ended: pulled into the cache, cached already, skipped for room, or failed (retried with backoff). */
export type PrePullResult = 'pulled' | 'cached' | 'skipped' | 'failed';

/** The loader's outcome as a PrePullResult. */
const RESULT = { pulled: 'pulled', cached: 'cached', noRoom: 'skipped' } as const satisfies Record<PrePullOutcome['kind'], PrePullResult>;

const DEFAULTS = { concurrency: 2, retry: { initialMs: 5000, maxMs: 300_000 } } as const;

export class PrePuller {
  private readonly ctx: PrePullContext;
  /** Dormant modules by digest (one function each suffices: the entry is per digest). */
  private wanted = new Map<string, FunctionDef>();
  /** Digests of every module the node runs or holds dormant: never evicted by a pre-pull. */
  private kept = new Set<string>();
  private readonly queue: string[] = [];
  private readonly active = new Set<string>();
  /** Consecutive failures per digest (the backoff), and the retries pending. */
  private readonly failures = new Map<string, number>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** Refused for room: digest → its size, tried again once it fits. */
  private readonly noRoom = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(ctx: PrePullContext) {
    this.ctx = ctx;
  }

  /** The node's desired state changed: pre-pull what is dormant now, forget what no longer is. */
  update(dormant: Iterable<FunctionDef>, running: Iterable<FunctionDef>): void {
    if (this.closed) return;
    const runningDigests = new Set([...running].flatMap((f) => (f.module.kind === 'oci' ? [f.module.digest] : [])));
    // A dormant module that also runs here (another function, same digest) is loaded anyway.
    this.wanted = new Map([...dormant].flatMap((f) => (f.module.kind === 'oci' && !runningDigests.has(f.module.digest) ? [[f.module.digest, f] as const] : [])));
    this.kept = new Set([...runningDigests, ...this.wanted.keys()]);
    for (const [digest, timer] of this.retries) {
      if (this.wanted.has(digest)) continue;
      clearTimeout(timer);
      this.retries.delete(digest);
    }
    for (const digest of this.failures.keys()) if (!this.wanted.has(digest)) this.failures.delete(digest);
    const mayEvict = this.mayEvict;
    for (const [digest, bytes] of this.noRoom) {
      if (!this.wanted.has(digest) || this.ctx.evictionsFor(bytes, mayEvict).every(mayEvict)) this.noRoom.delete(digest);
    }
    this.queue.splice(0, this.queue.length, ...[...this.wanted.keys()].filter((d) => !this.active.has(d) && !this.retries.has(d) && !this.noRoom.has(d)));
    this.pump();
  }

  /** Resolves once nothing is queued or pulling (retries may still be pending). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Digests whose last pre-pull failed, with their consecutive failures. */
  failing(): ReadonlyMap<string, number> {
    return new Map(this.failures);
  }

  /** Digests refused for lack of room, waiting for an assignment change. */
  skipped(): readonly string[] {
    return [...this.noRoom.keys()];
  }

  /**
   * Stops pre-pulling. Pulls in progress are not waited for (a stalled registry would hold up the
   * node's shutdown for its stall timeout): each ends on its own, complete in the cache or not at all.
   */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  /** A pre-pull may evict only modules the node neither runs nor holds dormant (read at admission time: the latest assignment counts). */
  private readonly mayEvict: EvictionGuard = (digest) => !this.kept.has(digest);

  private pump(): void {
    const limit = this.ctx.concurrency ?? DEFAULTS.concurrency;
    while (!this.closed && this.active.size < limit && this.queue.length > 0) {
      const digest = this.queue.shift()!;
      const fn = this.wanted.get(digest);
      if (!fn || this.active.has(digest)) continue;
      this.active.add(digest);
      void this.pull(digest, fn);
    }
    if (this.queue.length === 0 && this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async pull(digest: string, fn: FunctionDef): Promise<void> {
    const { logger } = this.ctx;
    const started = performance.now();
    try {
      const outcome = await this.ctx.prePull(fn, this.mayEvict);
      this.failures.delete(digest);
      this.ctx.ended?.(RESULT[outcome.kind]);
      if (outcome.kind === 'pulled') logger.info({ function: fn.key, digest, ms: Math.round(performance.now() - started) }, 'Pre-pulled dormant module');
      if (outcome.kind === 'noRoom') {
        this.noRoom.set(digest, outcome.bytes);
        logger.warn({ function: fn.key, digest, bytes: outcome.bytes, wouldEvict: outcome.wouldEvict }, `Skipped pre-pull of dormant module: its ${outcome.bytes} bytes fit the disk cache only by evicting modules this node runs or holds dormant (${outcome.wouldEvict.join(', ')}); tried again when the assignment changes, or raise the cache size`);
      }
    } catch (err) {
      this.failed(digest, fn, err);
    } finally {
      this.active.delete(digest);
      this.pump();
    }
  }

  private failed(digest: string, fn: FunctionDef, err: unknown): void {
    // After close() a pull may end because the node is stopping: neither logged nor counted.
    if (this.closed) return;
    this.ctx.ended?.('failed');
    const failures = (this.failures.get(digest) ?? 0) + 1;
    this.failures.set(digest, failures);
    const delayMs = backoffDelay(failures, this.ctx.retry ?? DEFAULTS.retry);
    const code = (err as { code?: unknown } | null)?.code;
    this.ctx.logger.warn(
      { function: fn.key, digest, code: typeof code === 'string' ? code : 'Error', failures, retryInMs: delayMs },
      `Pre-pull of dormant module failed: ${err instanceof Error ? err.message : String(err)}; retrying in ${Math.round(delayMs / 1000)} s`,
    );
    if (!this.wanted.has(digest)) return;
    const timer = setTimeout(() => {
      this.retries.delete(digest);
      if (this.wanted.has(digest) && !this.closed && !this.queue.includes(digest)) {
        this.queue.push(digest);
        this.pump();
      }
    }, delayMs);
    timer.unref();
    this.retries.set(digest, timer);
  }
}
