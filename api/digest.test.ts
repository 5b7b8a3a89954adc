import { describe, expect, it } from 'vitest';
import { DIGEST_REF } from './fields.ts';
import { isDigest, pinnedDigest } from './digest.ts';

const HEX = 'a'.repeat(64);

describe('digests', () => {
  it.each([
    { value: `sha256:${HEX}`, digest: true },
    { value: `sha256:${'0123456789abcdef'.repeat(4)}`, digest: true },
    { value: `sha256:${'A'.repeat(64)}`, digest: false },
    { value: `sha256:${HEX.slice(1)}`, digest: false },
    { value: `sha256:${HEX}0`, digest: false },
    { value: `sha512:${HEX}${HEX}`, digest: false },
    { value: ` sha256:${HEX}`, digest: false },
  ])('isDigest($value) is $digest', ({ value, digest }) => {
    expect(isDigest(value)).toBe(digest);
  });

  it.each([
    { ref: `registry.example/fn@sha256:${HEX}`, want: `sha256:${HEX}` },
    { ref: `registry.example/fn:v1@sha256:${HEX}`, want: `sha256:${HEX}` },
    { ref: 'registry.example/fn:v1', want: undefined },
    { ref: `registry.example/fn@sha256:${HEX}x`, want: undefined },
    { ref: `sha256:${HEX}`, want: undefined },
  ])('pinnedDigest($ref) is $want', ({ ref, want }) => {
    expect(pinnedDigest(ref)).toBe(want);
  });

  it('a digest-pinned reference is pinned by the same digest', () => {
    const ref = `localhost:5000/team/fn@sha256:${HEX}`;
    expect(new RegExp(DIGEST_REF).test(ref)).toBe(true);
    expect(new RegExp(DIGEST_REF).test(ref.replace(/.$/, 'G'))).toBe(false);
  });
});
