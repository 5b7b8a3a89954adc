import { describe, expect, it } from 'vitest';
import { FlotillaError, isFlotillaError } from './errors.ts';

class DemoError extends FlotillaError<'NoSignature' | 'DigestMismatch'> {}

describe('FlotillaError', () => {
  it('keeps code, subclass name and cause', () => {
    const cause = new Error('socket hang up');
    const err = new DemoError('DigestMismatch', 'expected sha256:aa, got sha256:bb', { cause });
    expect(err.name).toBe('DemoError');
    expect(err.code).toBe('DigestMismatch');
    expect(err.cause).toBe(cause);
    expect(isFlotillaError(err, 'DigestMismatch')).toBe(true);
    expect(isFlotillaError(err, 'NoSignature')).toBe(false);
    expect(isFlotillaError(new Error('x'))).toBe(false);
  });
});
