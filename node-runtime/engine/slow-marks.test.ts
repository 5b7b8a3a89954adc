import { describe, expect, it } from 'vitest';
import { SlowMarks } from './slow-marks.ts';

describe('SlowMarks', () => {
  const epoch = 1_000_000;
  it('marks a counter slow for at least the time given, and no other counter', () => {
    const marks = SlowMarks.create(4, epoch);
    expect(marks.isSlow(1, epoch + 10)).toBe(false);
    marks.mark(1, 30_000, epoch + 500);
    expect(marks.isSlow(1, epoch + 500)).toBe(true);
    expect(marks.isSlow(1, epoch + 30_499)).toBe(true);
    // Rounded up to the next whole second since the epoch, never down.
    expect(marks.isSlow(1, epoch + 31_000)).toBe(false);
    expect(marks.isSlow(2, epoch + 500)).toBe(false);
  });

  it('is seen through another view on the same buffer (another thread) and cleared for a new module', () => {
    const pool = SlowMarks.create(4, epoch);
    const listener = new SlowMarks(pool.buffer, pool.epochMs);
    listener.mark(3, 1000, epoch);
    expect(pool.isSlow(3, epoch + 999)).toBe(true);
    pool.clear(3);
    expect(listener.isSlow(3, epoch + 1)).toBe(false);
  });
});
