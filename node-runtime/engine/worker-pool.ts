/**
 * The main-thread side of execution: a fixed set of worker threads, a bounded queue and
 * per-function concurrency limits. The queue is fair between functions: a freed worker takes the
 * oldest task of the function running least right now, and among those the one served least
 * recently, so a function with a deep backlog (its concurrency at or above the worker count)
 * cannot make another function wait behind all of it. A task either runs, waits in the bounded queue, or is refused
 * at once with `Overloaded` (the HTTP adapter answers 503 + Retry-After): memory stays bounded
 * by queueLimit x request size. A task still running at its deadline is answered Timeout at once
 * and its worker's deadline flag raised (deadline.ts): the guest traps at its next deadline check
 * and the worker serves on. Only a worker that does not come back within STOP_GRACE_MS (a host
 * call stuck, e.g. Atomics.wait in kv, or a module the checks could not be compiled into) is
 * terminated and replaced; the other workers keep serving meanwhile.
 * One function runs on at most `size - 1` workers (its share; all of one worker), whatever its
 * concurrency: a worker is then always free or about to be for another function, so one function
 * looping at high concurrency cannot make another function's request wait for one of its runs.
 * Told to listen, the pool starts LISTENER threads apart from its workers: each serves the tenant
 * port itself (reusePort) and runs plain requests inline (http/inline.ts), never a task of the
 * queue, so a long task never holds up a connection the kernel gave a listener. Per-module running
 * counts live in a SharedArrayBuffer the pool and the listeners both count in, so
 * spec.limits.concurrency holds across both ways, and the marks of modules moved off the inline
 * path (slow-marks.ts) in another; the same watchdog terminates a listener stuck past an inline
 * invocation's deadline, and its replacement listens again.
 */
import { Worker } from 'node:worker_threads';
import { fromSerialized, NodeRuntimeError } from '../errors.ts';
import { deadlineFlag } from './deadline.ts';
import { SlowMarks } from './slow-marks.ts';
import type { LoadedModule } from './instances.ts';
import type { RouteDef } from '../resolve/desired-state.ts';
import type { DoneOk, FromWorker, InlineCounts, InlineFunction, TenantListener, ToWorker, WorkerData } from './protocol.ts';
import type { WagiCall } from './wagi-call.ts';

export interface PoolOptions {
  /** Worker threads: they run the queue's tasks; listen() starts as many listener threads. */
  readonly size: number;
  /** Tasks allowed to wait for a worker, across all functions. */
  readonly queueLimit: number;
  /** Stack of each worker thread in KiB (WasmRuntime engine.stackSizeKb): how deep a guest may recurse before it traps. @default Node's (4 MiB) */
  readonly stackSizeKb?: number;
  /** Start the listener threads now, so they boot while the node loads; listen() starts them otherwise. @default false */
  readonly listeners?: boolean;
}

export interface Task {
  readonly moduleId: string;
  readonly loaded: LoadedModule;
  readonly call: WagiCall;
  /** Absolute deadline (ms since epoch, Date.now() clock). */
  readonly deadlineMs: number;
  /** Most tasks of this module running at once. */
  readonly concurrency: number;
  /** Receives the function's stderr (first bytes) when the worker reports it. */
  readonly onStderr?: (text: string) => void;
}

export type TaskResult = DoneOk;

/** Events the pool reports (metrics, logs); kept apart so the pool has no metrics dependency. */
export interface PoolEvents {
  workerReplaced?(reason: 'timeout' | 'crash'): void;
  /** A guest past its deadline was stopped at a deadline check; its worker serves on. */
  interrupted?(): void;
  /** A worker's counts of the requests it ran inline. */
  counts?(counts: InlineCounts, worker: number): void;
}

/** A function the workers may run inline, as the node hands it over (the pool adds the counter and sends the module once per worker). */
export type InlineCandidate = Omit<InlineFunction, 'counter' | 'module'> & { readonly loaded: LoadedModule };

/** Shared running counters (index 0 is the queue length the workers read). */
const COUNTERS = 1 << 16;
/** How often the watchdog looks at the workers' inline invocations. */
const WATCH_EVERY_MS = 100;

/** How long a worker whose deadline flag is up may take to come back before it is terminated. */
export const STOP_GRACE_MS = 1000;

interface Pending {
  readonly task: Task;
  readonly resolve: (r: TaskResult) => void;
  readonly reject: (e: NodeRuntimeError) => void;
  timer: NodeJS.Timeout | undefined;
  worker: Slot | undefined;
  /** Message id while dispatched. */
  id: number;
  /** Answered Timeout; the worker is still stopping its guest. */
  expired: boolean;
}

/** A pool worker runs the queue's tasks; a listener serves the tenant port and runs requests inline. */
type Role = 'worker' | 'listener';

interface Slot {
  readonly role: Role;
  worker: Worker;
  /** The worker's deadline flag (deadline.ts). */
  readonly deadline: Int32Array;
  busy: Pending | undefined;
  readonly known: Set<string>;
  instances: number;
  dead: boolean;
  /** Waiting for the worker's tenant listener. */
  listening: { resolve(): void; reject(e: Error): void } | undefined;
  readonly flushes: Map<number, () => void>;
  /** Waiting for the listener's drain (shutdown). */
  drained?: ((inTime: boolean) => void) | undefined;
}

const WORKER_URL = new URL('./worker-main.ts', import.meta.url);

export class WorkerPool {
  private readonly options: PoolOptions;
  private readonly events: PoolEvents;
  private readonly slots: Slot[] = [];
  /** The listener threads, once listen() was called. */
  private readonly listeners: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<string, number>();
  /** Dispatch sequence number of each module's latest start: who was served least recently. */
  private readonly lastStart = new Map<string, number>();
  private starts = 0;
  private nextId = 1;
  private closed = false;
  private readonly byId = new Map<number, Pending>();
  /** Running tasks and inline runs per module, shared with the workers; index 0 mirrors the queue length. */
  private readonly counters = new Int32Array(new SharedArrayBuffer(4 * COUNTERS));
  private readonly counterOf = new Map<string, number>();
  private readonly freeCounters: number[] = [];
  /** Modules (by counter) the listeners send to the pool for now: their inline runs passed the budget. */
  private readonly slow = SlowMarks.create(COUNTERS);
  private nextCounter = 1;
  private tenant: Omit<TenantListener, 'worker'> | undefined;
  private table: { readonly routes: readonly RouteDef[]; readonly functions: readonly InlineCandidate[] } = { routes: [], functions: [] };
  private watchdog: NodeJS.Timeout | undefined;
  private flushId = 0;

  constructor(options: PoolOptions, events: PoolEvents = {}) {
    if (!(options.size >= 1) || !(options.queueLimit >= 0)) {
      throw new NodeRuntimeError('InvalidArgument', `expected size >= 1 and queueLimit >= 0, got ${options.size} and ${options.queueLimit}`);
    }
    this.options = options;
    this.events = events;
    for (let i = 0; i < options.size; i++) this.slots.push(this.spawn('worker', i));
    if (options.listeners) this.spawnListeners();
  }

  private spawnListeners(): void {
    for (let i = 0; i < this.options.size; i++) this.listeners.push(this.spawn('listener', i));
  }

  /** Most workers one function's tasks take at once: all but one, so another function always finds one (all of one worker). */
  get share(): number {
    return Math.max(1, this.options.size - 1);
  }

  /**
   * Starts the listener threads on `tenant` (reusePort on one port) and the watchdog of their
   * inline invocations; resolves once all listen.
   */
  async listen(tenant: Omit<TenantListener, 'worker'>): Promise<void> {
    this.tenant = tenant;
    if (this.listeners.length === 0) this.spawnListeners();
    await Promise.all(this.listeners.map((slot, i) => this.startListening(slot, i)));
    this.watchdog = setInterval(() => this.watch(), WATCH_EVERY_MS);
    this.watchdog.unref();
  }

  /** Tells the listeners the routes and the functions they may run inline now (after each desired-state change). */
  publish(routes: readonly RouteDef[], functions: readonly InlineCandidate[]): void {
    this.table = { routes, functions };
    for (const slot of this.listeners) this.sendTable(slot);
  }

  /** Waits for every listener's inline counts (PoolEvents.counts): a scrape then shows them all. */
  async flush(): Promise<void> {
    if (!this.tenant) return;
    const id = ++this.flushId;
    await Promise.all(this.listeners.filter((s) => !s.dead).map((slot) => new Promise<void>((resolve) => {
      slot.flushes.set(id, resolve);
      slot.worker.postMessage({ type: 'flush', id } satisfies ToWorker);
    })));
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Live instances across workers and listeners (as last reported by each). */
  get instances(): number {
    return [...this.slots, ...this.listeners].reduce((n, s) => n + s.instances, 0);
  }

  /** True when a task would start or find a queue place now (the HTTP adapter asks before it reads a body). */
  hasRoom(): boolean {
    return this.queue.length < this.options.queueLimit || this.slots.some((s) => !s.busy && !s.dead);
  }

  /** Runs a task. Rejects with Overloaded when the queue is full, Timeout at the deadline. */
  run(task: Task): Promise<TaskResult> {
    if (this.closed) return Promise.reject(new NodeRuntimeError('ShuttingDown', 'the node is shutting down; retry on another node'));
    const idle = this.canStart(task) ? this.slots.find((s) => !s.busy && !s.dead) : undefined;
    if (!idle && this.queue.length >= this.options.queueLimit) {
      return Promise.reject(new NodeRuntimeError('Overloaded', `function ${task.loaded.name}: all ${this.options.size} workers busy and ${this.queue.length} requests queued (limit ${this.options.queueLimit}); retry later`));
    }
    return new Promise<TaskResult>((resolve, reject) => {
      const p: Pending = { task, resolve, reject, timer: undefined, worker: undefined, id: 0, expired: false };
      const wait = task.deadlineMs - Date.now();
      p.timer = setTimeout(() => this.expire(p), Math.max(wait, 0));
      if (idle) this.dispatch(idle, p);
      else {
        this.queue.push(p);
        this.queueChanged();
        this.pump();
      }
    });
  }

  /** Tells every worker to forget a module (its function was updated or removed). */
  drop(moduleId: string): void {
    this.lastStart.delete(moduleId);
    const counter = this.counterOf.get(moduleId);
    // A counter still counting (an invocation of the old module running) is not reused.
    if (counter !== undefined && this.counterOf.delete(moduleId) && Atomics.load(this.counters, counter) === 0) this.freeCounters.push(counter);
    for (const s of [...this.slots, ...this.listeners]) {
      if (s.known.delete(moduleId)) s.worker.postMessage({ type: 'drop', moduleId } satisfies ToWorker);
    }
  }

  /**
   * Shutdown, before close(): every listener stops accepting and answers what it has in flight
   * (requests it relayed to the main thread included) within `graceMs`; true when all were in time.
   */
  async drainListeners(graceMs: number): Promise<boolean> {
    const results = await Promise.all(this.listeners.filter((s) => !s.dead).map((slot) => new Promise<boolean>((resolve) => {
      // Referenced while it drains: the main thread may have nothing else keeping it alive by then.
      slot.worker.ref();
      // A listener that dies meanwhile never answers: its drain counts as cut at the grace.
      const cut = setTimeout(() => slot.drained?.(false), graceMs + 1000);
      slot.drained = (inTime) => {
        clearTimeout(cut);
        slot.drained = undefined;
        slot.worker.unref();
        resolve(inTime);
      };
      slot.worker.postMessage({ type: 'drain', graceMs } satisfies ToWorker);
    })));
    return results.every(Boolean);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const p of this.queue.splice(0)) this.settle(p, new NodeRuntimeError('ShuttingDown', 'the node is shutting down; retry on another node'));
    await Promise.all([...this.slots, ...this.listeners].map((s) => {
      s.dead = true;
      return s.worker.terminate();
    }));
  }

  private canStart(task: Task): boolean {
    return this.runningOf(task.moduleId) < task.concurrency && (this.running.get(task.moduleId) ?? 0) < this.share;
  }

  /** Invocations of a module running now, in the pool and inline in the workers. */
  private runningOf(moduleId: string): number {
    const counter = this.counterOf.get(moduleId);
    return counter === undefined ? (this.running.get(moduleId) ?? 0) : Atomics.load(this.counters, counter);
  }

  /** The module's shared counter, allocated on first use; undefined when all are taken (it is then counted in the pool only, and never inline). */
  private counter(moduleId: string): number | undefined {
    let counter = this.counterOf.get(moduleId);
    if (counter === undefined) {
      counter = this.freeCounters.pop() ?? (this.nextCounter < COUNTERS ? this.nextCounter++ : undefined);
      if (counter === undefined) return undefined;
      // Counted in the pool so far (before its counter): those stay counted.
      Atomics.store(this.counters, counter, this.running.get(moduleId) ?? 0);
      // A mark left by the index's last module is not this one's (a redeploy starts inline again).
      this.slow.clear(counter);
      this.counterOf.set(moduleId, counter);
    }
    return counter;
  }

  private queueChanged(): void {
    Atomics.store(this.counters, 0, this.queue.length);
  }

  private startListening(slot: Slot, worker: number): Promise<void> {
    if (!this.tenant) return Promise.resolve();
    const tenant = this.tenant;
    return new Promise<void>((resolve, reject) => {
      slot.listening = { resolve, reject };
      slot.worker.postMessage({ type: 'listen', tenant: { ...tenant, worker } } satisfies ToWorker);
      this.sendTable(slot);
    });
  }

  private sendTable(slot: Slot): void {
    if (!this.tenant || slot.dead) return;
    const functions: InlineFunction[] = [];
    for (const { loaded, ...f } of this.table.functions) {
      const counter = this.counter(f.moduleId);
      if (counter === undefined) continue;
      const first = !slot.known.has(f.moduleId);
      slot.known.add(f.moduleId);
      functions.push({ ...f, counter, ...(first ? { module: loaded } : {}) });
    }
    slot.worker.postMessage({ type: 'table', routes: this.table.routes, functions } satisfies ToWorker);
  }

  /** Terminates a listener stuck in an inline invocation past its deadline and the grace (a host call that does not come back). */
  private watch(): void {
    const now = Date.now();
    for (const slot of this.listeners) {
      if (slot.dead || now <= deadlineFlag.inline(slot.deadline).deadlineMs + STOP_GRACE_MS) continue;
      const p = slot.busy;
      this.replace(slot, 'timeout');
      if (p) {
        this.release(slot, p);
        this.settle(p, new NodeRuntimeError('WorkerCrashed', `function ${p.task.loaded.name}: its worker was replaced while the task waited behind an invocation stuck past its deadline; retry`));
      }
      this.pump();
    }
  }

  private spawn(role: Role, index: number): Slot {
    const deadline = deadlineFlag.create();
    const slot: Slot = {
      role,
      worker: new Worker(WORKER_URL, {
        workerData: { deadline, counters: this.counters.buffer, slow: this.slow.buffer, slowEpochMs: this.slow.epochMs } satisfies WorkerData,
        ...(this.options.stackSizeKb !== undefined ? { resourceLimits: { stackSizeMb: this.options.stackSizeKb / 1024 } } : {}),
      }),
      deadline: new Int32Array(deadline), busy: undefined, known: new Set(), instances: 0, dead: false, listening: undefined, flushes: new Map(),
    };
    slot.worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    slot.worker.on('error', (err: Error) => this.onCrash(slot, err));
    slot.worker.on('exit', (code) => {
      if (!slot.dead) this.onCrash(slot, new Error(`worker exited with code ${code}`));
    });
    // Idle workers must not keep the process alive (CLI `serve` exits on signal, tests end).
    slot.worker.unref();
    if (role === 'listener' && this.tenant) {
      this.startListening(slot, index).catch((err: unknown) => this.onCrash(slot, err instanceof Error ? err : new Error(String(err))));
    }
    return slot;
  }

  private dispatch(slot: Slot, p: Pending): void {
    const id = this.nextId;
    // Ids fit the Int32 deadline flag, and 0 stays "no invocation".
    this.nextId = (this.nextId % 0x7fff_ffff) + 1;
    this.byId.set(id, p);
    slot.busy = p;
    p.worker = slot;
    this.running.set(p.task.moduleId, (this.running.get(p.task.moduleId) ?? 0) + 1);
    const counter = this.counterOf.get(p.task.moduleId);
    if (counter !== undefined) Atomics.add(this.counters, counter, 1);
    this.lastStart.set(p.task.moduleId, ++this.starts);
    const first = !slot.known.has(p.task.moduleId);
    slot.known.add(p.task.moduleId);
    const { stdin, env, maxResponseBytes } = p.task.call;
    const msg: ToWorker = { type: 'invoke', id, moduleId: p.task.moduleId, stdin, envBlock: env.join('\0'), maxResponseBytes, ...(first ? { module: p.task.loaded } : {}) };
    p.id = id;
    slot.worker.ref();
    slot.worker.postMessage(msg);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy || slot.dead) continue;
      const i = this.next();
      if (i === -1) return;
      this.dispatch(slot, this.queue.splice(i, 1)[0]!);
      this.queueChanged();
    }
  }

  /**
   * Index of the queued task to run next, -1 for none: of the functions that may start one more
   * (within their concurrency and their share of the workers), the one with the fewest running,
   * then the one started least recently; its oldest task.
   */
  private next(): number {
    let best = -1;
    let fewest = Infinity;
    let oldest = Infinity;
    for (let i = 0; i < this.queue.length; i++) {
      const { task } = this.queue[i]!;
      if (!this.canStart(task)) continue;
      const { moduleId } = task;
      const running = this.runningOf(moduleId);
      const last = this.lastStart.get(moduleId) ?? 0;
      if (running < fewest || (running === fewest && last < oldest)) {
        best = i;
        fewest = running;
        oldest = last;
      }
    }
    return best;
  }

  /** Frees the slot's task accounting; the caller settles the promise. */
  private release(slot: Slot, p: Pending): void {
    slot.busy = undefined;
    slot.worker.unref();
    this.byId.delete(p.id);
    const n = (this.running.get(p.task.moduleId) ?? 1) - 1;
    if (n <= 0) this.running.delete(p.task.moduleId);
    else this.running.set(p.task.moduleId, n);
    const counter = this.counterOf.get(p.task.moduleId);
    if (counter !== undefined) Atomics.sub(this.counters, counter, 1);
  }

  private settle(p: Pending, outcome: TaskResult | NodeRuntimeError): void {
    clearTimeout(p.timer);
    if (outcome instanceof NodeRuntimeError) p.reject(outcome);
    else p.resolve(outcome);
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    switch (msg.type) {
      case 'done':
        this.onDone(slot, msg);
        return;
      case 'counts':
        if (msg.counts.inline > 0 || msg.counts.slowMarked.length > 0 || Object.keys(msg.counts.handoffs).length > 0) this.events.counts?.(msg.counts, this.listeners.indexOf(slot));
        slot.flushes.get(msg.id)?.();
        slot.flushes.delete(msg.id);
        return;
      case 'listening':
        if (msg.error === undefined) slot.listening?.resolve();
        else slot.listening?.reject(new NodeRuntimeError('InvalidArgument', `worker could not listen on the tenant port ${this.tenant?.host}:${this.tenant?.port}: ${msg.error}`));
        slot.listening = undefined;
        return;
      case 'freed':
        this.pump();
        return;
      case 'drained':
        slot.drained?.(msg.inTime);
        slot.drained = undefined;
        return;
    }
  }

  private onDone(slot: Slot, msg: Extract<FromWorker, { type: 'done' }>): void {
    const p = this.byId.get(msg.id);
    slot.instances = msg.instances;
    if (!p || slot.busy !== p) return;
    this.release(slot, p);
    if (p.expired) {
      // Answered Timeout already; the guest stopped at a deadline check (or finished just then).
      clearTimeout(p.timer);
      this.events.interrupted?.();
    } else {
      if (msg.stderr) p.task.onStderr?.(msg.stderr);
      this.settle(p, msg.ok ? msg : fromSerialized(msg.error));
    }
    this.pump();
  }

  private expire(p: Pending): void {
    const qi = this.queue.indexOf(p);
    const ms = p.task.deadlineMs;
    const err = new NodeRuntimeError('Timeout', `function ${p.task.loaded.name} did not answer before its deadline (${new Date(ms).toISOString()}); it was stopped. Make it faster or raise limits.timeoutMs`);
    if (qi !== -1) {
      this.queue.splice(qi, 1);
      this.queueChanged();
      this.settle(p, err);
      return;
    }
    const slot = p.worker;
    if (!slot || slot.busy !== p) return;
    this.settle(p, err);
    p.expired = true;
    deadlineFlag.expire(slot.deadline, p.id);
    p.timer = setTimeout(() => this.stopStuck(slot, p), STOP_GRACE_MS);
  }

  /** The worker did not come back from a guest past its deadline: terminate and replace it. */
  private stopStuck(slot: Slot, p: Pending): void {
    if (slot.busy !== p) return;
    this.replace(slot, 'timeout');
    this.release(slot, p);
    this.pump();
  }

  private onCrash(slot: Slot, err: Error): void {
    if (slot.dead) return;
    const p = slot.busy;
    this.replace(slot, 'crash');
    if (p) {
      this.release(slot, p);
      this.settle(p, new NodeRuntimeError('WorkerCrashed', `function ${p.task.loaded.name}: its worker crashed (${err.message}); the worker was replaced`, { cause: err }));
    }
    this.pump();
  }

  /** Terminates a thread and puts a fresh one of the same role in its place. */
  private replace(slot: Slot, reason: 'timeout' | 'crash'): void {
    slot.dead = true;
    void slot.worker.terminate();
    // A scrape waiting for this worker's counts does not wait for a dead one (they are lost with it).
    for (const resolve of slot.flushes.values()) resolve();
    if (this.closed) return;
    const slots = slot.role === 'worker' ? this.slots : this.listeners;
    const i = slots.indexOf(slot);
    slots[i] = this.spawn(slot.role, i);
    this.events.workerReplaced?.(reason);
  }
}
