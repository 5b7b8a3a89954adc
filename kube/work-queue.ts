import type { Clock, TimerHandle } from './clock.ts';

/**
 * A keyed work queue with the client-go / kube-runtime guarantees:
 * - a key waits at most once (adding a pending key is a no-op);
 * - a key handed to a worker is not handed out again until `done(key)`; if it was added meanwhile
 *   it is queued again at `done`, so the change is never lost and never processed concurrently;
 * - delayed adds keep only the earliest due time per key, and an immediate add cancels the delay.
 * Concurrency is bounded by how many workers call `get`.
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly ready: string[] = [];
  /** Keys that need processing: in `ready`, or to be queued again when their worker finishes. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { due: number; handle: TimerHandle }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    this.cancelDelay(key);
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.processing.has(key)) this.push(key);
  }

  /** Adds `key` after `ms`; an earlier pending delay for the key wins, a pending immediate add wins over both. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    if (this.dirty.has(key)) return;
    const due = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.due <= due) return;
    this.cancelDelay(key);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { due, handle });
  }

  /** The next key to process, waiting if none is ready; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; queues it again if it was added while being processed. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.processing.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Keys waiting to be processed now (the queue depth metric). */
  get depth(): number {
    return this.ready.length;
  }

  /** Keys waiting for a delay to pass. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /** Stops handing out keys, drops pending and delayed keys, and resolves once in-flight keys are done. */
  async shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const key of [...this.delayed.keys()]) this.cancelDelay(key);
    this.ready.length = 0;
    this.dirty.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
    if (this.processing.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.ready.push(key);
    }
  }

  private take(): string | undefined {
    const key = this.ready.shift();
    if (key === undefined) return undefined;
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private cancelDelay(key: string): void {
    const entry = this.delayed.get(key);
    if (!entry) return;
    this.clock.clearTimeout(entry.handle);
    this.delayed.delete(key);
  }
}
