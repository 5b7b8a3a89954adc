import { describe, expect, it } from 'vitest';
import { OciError } from './errors.ts';
import { formatReference, parseReference, requireDigest } from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['127.0.0.1:5000/fn/hello:v1', { kind: 'registry', registry: '127.0.0.1:5000', repository: 'fn/hello', tag: 'v1' }],
    [`localhost/hello@${D}`, { kind: 'registry', registry: 'localhost', repository: 'hello', digest: D }],
    [`ghcr.io/org/team/fn:1.0.0@${D}`, { kind: 'registry', registry: 'ghcr.io', repository: 'org/team/fn', tag: '1.0.0', digest: D }],
    ['registry.example.com:443/a__b/c-d.e', { kind: 'registry', registry: 'registry.example.com:443', repository: 'a__b/c-d.e' }],
    ['[::1]:5000/x:y', { kind: 'registry', registry: '[::1]:5000', repository: 'x', tag: 'y' }],
    ['oci-layout:/var/lib/flotilla/cache:v1', { kind: 'layout', path: '/var/lib/flotilla/cache', tag: 'v1' }],
    [`oci-layout:./rel/dir@${D}`, { kind: 'layout', path: './rel/dir', digest: D }],
    ['oci-layout:/a:b/c', { kind: 'layout', path: '/a:b/c' }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
    expect(formatReference(parseReference(input))).toBe(input);
  });

  it.each([
    ['hello:v1', /expected a registry host before the repository/],
    ['library/hello', /expected a registry host/],
    ['docker.io/Library/hello', /lowercase/],
    ['127.0.0.1:5000/hello:-bad', /expected a tag/],
    [`127.0.0.1:5000/hello@sha256:${'A'.repeat(64)}`, /expected digest sha256:<64 lowercase hex>/],
    ['127.0.0.1:5000/hello@sha512:abc', /expected digest/],
    ['https://127.0.0.1:5000/hello', /no URL scheme/],
    [' 127.0.0.1:5000/hello', /whitespace/],
    ['', /empty/],
    ['oci-layout::v1', /expected a directory path/],
    ['127.0.0.1:5000/a//b', /repository path components/],
    [`r.io/${'a'.repeat(260)}`, /at most 255/],
  ])('rejects %j', (input, message) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).code).toBe('InvalidReference');
    expect((err as OciError).message).toMatch(message);
  });

  it('requireDigest refuses a tag-only reference (tags are resolved, never trusted)', () => {
    expect(() => requireDigest(parseReference('r.io/x:v1'))).toThrow(/pinned by digest/);
    expect(requireDigest(parseReference(`r.io/x@${D}`))).toBe(D);
  });
});
