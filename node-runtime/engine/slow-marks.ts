/**
 * Functions moved off the inline path for a while: one mark per shared counter index (the index
 * the pool gives a module, worker-pool.ts), in a SharedArrayBuffer the pool and every listener
 * thread see. A listener whose inline run of a module passed its budget marks it; every listener
 * then sends that module's requests straight to the pool until the mark runs out. A mark is a
 * whole second since the pool's epoch in an Int32 (Atomics need an integer array; 68 years fit),
 * so a read costs one Atomics.load and no allocation.
 */

/** A view on the shared marks; the pool creates it, the workers rebuild it from `buffer` and `epochMs`. */
export class SlowMarks {
  readonly buffer: SharedArrayBuffer;
  readonly epochMs: number;
  private readonly until: Int32Array;

  constructor(buffer: SharedArrayBuffer, epochMs: number) {
    this.buffer = buffer;
    this.epochMs = epochMs;
    this.until = new Int32Array(buffer);
  }

  /** Marks for `size` counters, none marked. */
  static create(size: number, now = Date.now()): SlowMarks {
    return new SlowMarks(new SharedArrayBuffer(4 * size), now);
  }

  /** Marks `counter` slow for at least `forMs` (rounded up to the next whole second). */
  mark(counter: number, forMs: number, now = Date.now()): void {
    Atomics.store(this.until, counter, Math.ceil((now + forMs - this.epochMs) / 1000));
  }

  /** True while `counter`'s mark has not run out. */
  isSlow(counter: number, now = Date.now()): boolean {
    return Atomics.load(this.until, counter) * 1000 + this.epochMs > now;
  }

  /** Clears `counter`'s mark: its index now counts for another module (a new one, or a redeploy). */
  clear(counter: number): void {
    Atomics.store(this.until, counter, 0);
  }
}
