/**
 * The deadline flag of one worker thread: a SharedArrayBuffer the main thread's watchdog writes the
 * id of an invocation whose deadline passed into, and the guest's deadline checks read
 * (compile/interrupt.ts calls `interrupt` every BUDGET checks). Holding an id rather than a bit
 * means a late write for an invocation that already ended can never stop the next one.
 * An invocation the worker runs inline (http/inline.ts) has its own deadline, checked by the
 * worker at the same looks; the worker also publishes it in the buffer, so the main thread's
 * watchdog can terminate a worker stuck in a host call past it (engine/worker-pool.ts).
 */
import { NodeRuntimeError } from '../errors.ts';

/** Deadline checks a guest runs between two looks at the flag: a look is a call into JS, a check a countdown. */
export const BUDGET = 10_000;

/** The main thread's side: a new flag, and raising it for invocation `id`. */
export const deadlineFlag = {
  create(): SharedArrayBuffer {
    // Int32 0: the expired invocation; Int32 1: the inline invocation running; Float64 1: its deadline.
    return new SharedArrayBuffer(16);
  },
  expire(flag: Int32Array, id: number): void {
    Atomics.store(flag, 0, id);
  },
  /** The inline invocation running in the flag's worker and its deadline (ms since epoch); id 0 when none. */
  inline(flag: Int32Array): { readonly id: number; readonly deadlineMs: number } {
    const id = Atomics.load(flag, 1);
    return { id, deadlineMs: id === 0 ? Infinity : new Float64Array(flag.buffer, 8, 1)[0]! };
  },
};

/** The worker's side: which invocation runs now, and the `__flotilla.interrupt` import its guests call. */
export class DeadlineWatch {
  private readonly flag: Int32Array;
  private readonly inlineDeadline: Float64Array;
  private current = 0;
  private deadlineMs = Infinity;

  constructor(buffer: SharedArrayBuffer) {
    this.flag = new Int32Array(buffer);
    this.inlineDeadline = new Float64Array(buffer, 8, 1);
  }

  /** Marks invocation `id` (> 0) as running: a flag raised for it stops its guest. */
  begin(id: number): void {
    this.current = id;
  }

  /** Marks an inline invocation `id` (< 0, apart from the pool's) as running until `deadlineMs`, which the worker checks itself. */
  beginInline(id: number, deadlineMs: number): void {
    this.current = id;
    this.deadlineMs = deadlineMs;
    this.inlineDeadline[0] = deadlineMs;
    Atomics.store(this.flag, 1, id);
  }

  end(): void {
    if (this.deadlineMs !== Infinity) Atomics.store(this.flag, 1, 0);
    this.current = 0;
    this.deadlineMs = Infinity;
  }

  /** The import: throws Timeout when the running invocation's deadline passed, else grants the next budget. */
  readonly interrupt = (): number => {
    if (this.current !== 0 && (Atomics.load(this.flag, 0) === this.current || Date.now() >= this.deadlineMs)) {
      throw new NodeRuntimeError('Timeout', 'the invocation ran past its deadline and was stopped at a deadline check');
    }
    return BUDGET;
  };
}

/** For a thread without a watchdog (`flotilla run`, tests of one instance): checks never stop the guest. */
export const NEVER_INTERRUPT = (): number => BUDGET;
