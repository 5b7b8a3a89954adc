/** A counting semaphore: at most `size` deliveries of one trigger run at once on this node. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(size: number) {
    this.free = size;
  }

  /** Waits for a free slot, then runs `work` in it without waiting for it to finish. */
  async start(work: () => Promise<void>): Promise<void> {
    if (this.free === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.free--;
    const p = work().finally(() => {
      this.running.delete(p);
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    });
    this.running.add(p);
  }

  /** Resolves once everything started has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
