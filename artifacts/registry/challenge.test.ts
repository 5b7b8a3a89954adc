import { describe, expect, it } from 'vitest';
import { parseChallenge, repositoryScope } from './challenge.ts';

describe('parseChallenge', () => {
  it.each([
    ['Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"', { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull' } }],
    ['Basic realm="Registry Realm"', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ['bearer realm=https://t.example/token, service=reg', { scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'reg' } }],
    ['Bearer realm="a\\"b"', { scheme: 'bearer', params: { realm: 'a"b' } }],
    ['Negotiate abc', undefined],
    [null, undefined],
  ])('%j', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });

  it('builds distribution token scopes', () => {
    expect(repositoryScope('fn/hello', ['pull', 'push'])).toBe('repository:fn/hello:pull,push');
  });
});
