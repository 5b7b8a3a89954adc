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
 */
import { Worker } from 'node:worker_threads';
import { fromSerialized, NodeRuntimeError } from '../errors.ts';
import { deadlineFlag } from './deadline.ts';
import type { LoadedModule } from './instances.ts';
import type { DoneOk, FromWorker, ToWorker } from './protocol.ts';
import type { WagiCall } from './wagi-call.ts';

export interface PoolOptions {
  /** Worker threads. */
  readonly size: number;
  /** Tasks allowed to wait for a worker, across all functions. */
  readonly queueLimit: number;
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
}

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

interface Slot {
  worker: Worker;
  /** The worker's deadline flag (deadline.ts). */
  readonly deadline: Int32Array;
  busy: Pending | undefined;
  readonly known: Set<string>;
  instances: number;
  dead: boolean;
}

const WORKER_URL = new URL('./worker-main.ts', import.meta.url);

export class WorkerPool {
  private readonly options: PoolOptions;
  private readonly events: PoolEvents;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<string, number>();
  /** Dispatch sequence number of each module's latest start: who was served least recently. */
  private readonly lastStart = new Map<string, number>();
  private starts = 0;
  private nextId = 1;
  private closed = false;
  private readonly byId = new Map<number, Pending>();

  constructor(options: PoolOptions, events: PoolEvents = {}) {
    if (!(options.size >= 1) || !(options.queueLimit >= 0)) {
      throw new NodeRuntimeError('InvalidArgument', `expected size >= 1 and queueLimit >= 0, got ${options.size} and ${options.queueLimit}`);
    }
    this.options = options;
    this.events = events;
    for (let i = 0; i < options.size; i++) this.slots.push(this.spawn());
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Live instances across workers (as last reported by each). */
  get instances(): number {
    return this.slots.reduce((n, s) => n + s.instances, 0);
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
        this.pump();
      }
    });
  }

  /** Tells every worker to forget a module (its function was updated or removed). */
  drop(moduleId: string): void {
    this.lastStart.delete(moduleId);
    for (const s of this.slots) {
      if (s.known.delete(moduleId)) s.worker.postMessage({ type: 'drop', moduleId } satisfies ToWorker);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, new NodeRuntimeError('ShuttingDown', 'the node is shutting down; retry on another node'));
    await Promise.all(this.slots.map((s) => {
      s.dead = true;
      return s.worker.terminate();
    }));
  }

  private canStart(task: Task): boolean {
    return (this.running.get(task.moduleId) ?? 0) < task.concurrency;
  }

  private spawn(): Slot {
    const deadline = deadlineFlag.create();
    const slot: Slot = { worker: new Worker(WORKER_URL, { workerData: { deadline } }), deadline: new Int32Array(deadline), busy: undefined, known: new Set(), instances: 0, dead: false };
    slot.worker.on('message', (msg: FromWorker) => this.onDone(slot, msg));
    slot.worker.on('error', (err: Error) => this.onCrash(slot, err));
    slot.worker.on('exit', (code) => {
      if (!slot.dead) this.onCrash(slot, new Error(`worker exited with code ${code}`));
    });
    // Idle workers must not keep the process alive (CLI `serve` exits on signal, tests end).
    slot.worker.unref();
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
    }
  }

  /**
   * Index of the queued task to run next, -1 for none: of the functions that may start one more,
   * the one with the fewest running, then the one started least recently; its oldest task.
   */
  private next(): number {
    let best = -1;
    let fewest = Infinity;
    let oldest = Infinity;
    for (let i = 0; i < this.queue.length; i++) {
      const { moduleId, concurrency } = this.queue[i]!.task;
      const running = this.running.get(moduleId) ?? 0;
      if (running >= concurrency) continue;
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
  }

  private settle(p: Pending, outcome: TaskResult | NodeRuntimeError): void {
    clearTimeout(p.timer);
    if (outcome instanceof NodeRuntimeError) p.reject(outcome);
    else p.resolve(outcome);
  }

  private onDone(slot: Slot, msg: FromWorker): void {
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

  /** Terminates a worker and puts a fresh one in its place (same slot object, new thread). */
  private replace(slot: Slot, reason: 'timeout' | 'crash'): void {
    slot.dead = true;
    void slot.worker.terminate();
    if (this.closed) return;
    const fresh = this.spawn();
    const i = this.slots.indexOf(slot);
    this.slots[i] = fresh;
    this.events.workerReplaced?.(reason);
  }
}
