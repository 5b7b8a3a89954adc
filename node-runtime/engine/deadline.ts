/**
 * The deadline flag of one worker thread: a SharedArrayBuffer the main thread's watchdog writes the
 * id of an invocation whose deadline passed into, and the guest's deadline checks read
 * (compile/interrupt.ts calls `interrupt` every BUDGET checks). Holding an id rather than a bit
 * means a late write for an invocation that already ended can never stop the next one.
 */
import { NodeRuntimeError } from '../errors.ts';

/** Deadline checks a guest runs between two looks at the flag: a look is a call into JS, a check a countdown. */
export const BUDGET = 10_000;

/** The main thread's side: a new flag, and raising it for invocation `id`. */
export const deadlineFlag = {
  create(): SharedArrayBuffer {
    return new SharedArrayBuffer(4);
  },
  expire(flag: Int32Array, id: number): void {
    Atomics.store(flag, 0, id);
  },
};

/** The worker's side: which invocation runs now, and the `__flotilla.interrupt` import its guests call. */
export class DeadlineWatch {
  private readonly flag: Int32Array;
  private current = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.flag = new Int32Array(buffer);
  }

  /** Marks invocation `id` (> 0) as running: a flag raised for it stops its guest. */
  begin(id: number): void {
    this.current = id;
  }

  end(): void {
    this.current = 0;
  }

  /** The import: throws Timeout when the running invocation's deadline passed, else grants the next budget. */
  readonly interrupt = (): number => {
    if (this.current !== 0 && Atomics.load(this.flag, 0) === this.current) {
      throw new NodeRuntimeError('Timeout', 'the invocation ran past its deadline and was stopped at a deadline check');
    }
    return BUDGET;
  };
}

/** For a thread without a watchdog (`flotilla run`, tests of one instance): checks never stop the guest. */
export const NEVER_INTERRUPT = (): number => BUDGET;
