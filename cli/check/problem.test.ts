import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor } from '../exit-codes.ts';
import { CHECK_ERROR_CODES } from './problem.ts';

describe('CheckError codes', () => {
  it('each has an exit code of its own, so CI scripts can tell them apart', () => {
    const codes = CHECK_ERROR_CODES.map(exitCodeFor);
    expect(codes).not.toContain(1);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [code, n] of Object.entries(EXIT_CODES)) if (!(CHECK_ERROR_CODES as readonly string[]).includes(code)) expect(codes, code).not.toContain(n);
  });
});
