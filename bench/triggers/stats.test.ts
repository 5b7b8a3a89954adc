import { describe, expect, it } from 'vitest';
import { median, quantile, spread } from './stats.ts';

describe('bench stats', () => {
  it('takes the median and quantiles of unsorted runs', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10);
    expect(spread([1.234, 3, 2], 1)).toBe('2.0 (1.2–3.0)');
  });
});
